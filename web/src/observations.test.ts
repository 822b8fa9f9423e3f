import { describe, expect, it } from "vitest";
import { downsample, groupObservations, niceScale, type ObservationLike, type Point } from "./observations";

const obs = (code: string, display: string, when: string, value: number, extra: Partial<ObservationLike> = {}): ObservationLike => ({
  resourceType: "Observation",
  status: "final",
  code: { coding: [{ system: "http://loinc.org", code, display }] },
  effectiveDateTime: when,
  valueQuantity: { value, unit: "mg/dL" },
  ...extra,
});

describe("groupObservations", () => {
  it("groups by code, sorts points by time, keeps the latest value and the reference range", () => {
    const groups = groupObservations([
      obs("2339-0", "Glucose", "2024-03-01", 110, { category: [{ coding: [{ code: "laboratory" }] }], referenceRange: [{ low: { value: 70 }, high: { value: 99 } }] }),
      obs("2339-0", "Glucose", "2024-01-01", 90),
      obs("8867-4", "Heart rate", "2024-02-01", 70),
      obs("2339-0", "Glucose", "2024-02-01", 95, { status: "entered-in-error" }),
    ]);
    expect(groups.map((g) => g.label)).toEqual(["Heart rate", "Glucose"]);
    const glucose = groups[1]!;
    expect(glucose.category).toBe("laboratory");
    expect(glucose.count).toBe(2);
    expect(glucose.series[0]!.points.map((p) => p.v)).toEqual([90, 110]);
    expect(glucose.latest?.valueQuantity?.value).toBe(110);
    expect(glucose.range).toEqual({ low: 70, high: 99, text: undefined });
    expect(groups[0]!.category).toBe("vital-signs");
  });

  it("splits blood pressure components into two series", () => {
    const bp = (when: string, sys: number, dia: number): ObservationLike => ({
      resourceType: "Observation",
      code: { coding: [{ system: "http://loinc.org", code: "85354-9", display: "Blood pressure" }] },
      effectiveDateTime: when,
      component: [
        { code: { text: "Systolic" }, valueQuantity: { value: sys, unit: "mm[Hg]" } },
        { code: { text: "Diastolic" }, valueQuantity: { value: dia, unit: "mm[Hg]" } },
      ],
    });
    const [group] = groupObservations([bp("2024-01-01", 120, 80), bp("2024-02-01", 130, 85)]);
    expect(group!.series.map((s) => s.label)).toEqual(["Systolic", "Diastolic"]);
    expect(group!.series[1]!.points.map((p) => p.v)).toEqual([80, 85]);
    expect(group!.unit).toBe("mm[Hg]");
  });

  it("groups 5,000 observations into their series", () => {
    const many = Array.from({ length: 5000 }, (_, i) => obs(i % 2 ? "8867-4" : "2339-0", "x", new Date(Date.UTC(2010, 0, 1) + i * 3600_000).toISOString(), i % 100));
    const groups = groupObservations(many);
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(5000);
    expect(groups.map((g) => g.series[0]!.points.length)).toEqual([2500, 2500]);
  });
});

describe("niceScale", () => {
  it("covers the values and the reference range with round ticks", () => {
    const s = niceScale([72, 88, 95], [60, 100]);
    expect(s.min).toBeLessThanOrEqual(60);
    expect(s.max).toBeGreaterThanOrEqual(100);
    expect(s.ticks[0]).toBe(s.min);
    expect(s.ticks[s.ticks.length - 1]).toBe(s.max);
  });
  it("widens a single value into a range", () => {
    const s = niceScale([5]);
    expect(s.min).toBeLessThan(5);
    expect(s.max).toBeGreaterThan(5);
  });
});

describe("downsample", () => {
  it("caps the points and keeps each bucket's extremes", () => {
    const points: Point[] = Array.from({ length: 5000 }, (_, i) => ({ t: i, v: i === 1234 ? 999 : i % 10 }));
    const out = downsample(points, 400);
    expect(out.length).toBeLessThanOrEqual(400);
    expect(out.some((p) => p.v === 999)).toBe(true);
    expect(out.map((p) => p.t)).toEqual([...out.map((p) => p.t)].sort((a, b) => a - b));
  });
  it("returns short series unchanged", () => {
    const points: Point[] = [{ t: 1, v: 1 }];
    expect(downsample(points, 400)).toBe(points);
  });
});
