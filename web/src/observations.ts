// Observations grouped into time series per code, for the chart views (unit-tested in observations.test.ts).
import type { CodeableConcept, Quantity } from "./fhir";
import { conceptText } from "./format";

export interface ObservationLike {
  resourceType: string;
  id?: string;
  status?: string;
  code?: CodeableConcept;
  category?: CodeableConcept[];
  effectiveDateTime?: string;
  effectivePeriod?: { start?: string; end?: string };
  effectiveInstant?: string;
  issued?: string;
  valueQuantity?: Quantity;
  component?: { code?: CodeableConcept; valueQuantity?: Quantity }[];
  referenceRange?: { low?: Quantity; high?: Quantity; text?: string }[];
  [key: string]: unknown;
}

export interface Point {
  /** Milliseconds since the epoch. */
  t: number;
  v: number;
  id?: string;
}

export interface Series {
  /** e.g. "Systolic blood pressure" for a component, else the observation's own name. */
  label: string;
  points: Point[];
}

export interface ObservationGroup {
  /** "system|code" of the observation code. */
  key: string;
  code: string;
  label: string;
  category: "vital-signs" | "laboratory" | "other";
  unit: string;
  series: Series[];
  /** The most recent reference range on record, when any observation has one. */
  range?: { low?: number; high?: number; text?: string };
  count: number;
  latest?: ObservationLike;
  latestTime?: number;
}

const VITAL_CODES = new Set(["8867-4", "9279-1", "8310-5", "29463-7", "8302-2", "39156-5", "85354-9", "8480-6", "8462-4", "59408-5", "2708-6", "8287-5", "9843-4", "55284-4"]);

export function effectiveTime(o: ObservationLike): number | undefined {
  const value = o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod?.start ?? o.issued;
  if (!value) return undefined;
  const t = Date.parse(value.length === 4 ? `${value}-01-01` : value.length === 7 ? `${value}-01` : value);
  return Number.isNaN(t) ? undefined : t;
}

function categoryOf(o: ObservationLike, code: string): ObservationGroup["category"] {
  const codes = (o.category ?? []).flatMap((c) => c.coding ?? []).map((c) => c.code);
  if (codes.includes("vital-signs") || VITAL_CODES.has(code)) return "vital-signs";
  if (codes.includes("laboratory")) return "laboratory";
  return "other";
}

function primaryCoding(concept: CodeableConcept | undefined): { key: string; code: string } {
  const coding = concept?.coding?.find((c) => c.system === "http://loinc.org") ?? concept?.coding?.[0];
  if (coding?.code) return { key: `${coding.system ?? ""}|${coding.code}`, code: coding.code };
  const text = concept?.text ?? "unknown";
  return { key: `text|${text}`, code: text };
}

/**
 * Groups observations by code into chartable series: a numeric value is one series; an observation with numeric
 * components (blood pressure) gives one series per component. Points are sorted by time. Runs in O(n log n) for
 * n observations, so thousands of observations group in a few milliseconds.
 */
export function groupObservations(observations: ObservationLike[]): ObservationGroup[] {
  const groups = new Map<string, ObservationGroup & { seriesByLabel: Map<string, Series>; rangeTime?: number }>();
  for (const o of observations) {
    if (o.resourceType !== "Observation" || o.status === "entered-in-error") continue;
    const { key, code } = primaryCoding(o.code);
    let group = groups.get(key);
    const t = effectiveTime(o);
    if (!group) {
      group = {
        key,
        code,
        label: conceptText(o.code) || code,
        category: categoryOf(o, code),
        unit: "",
        series: [],
        count: 0,
        seriesByLabel: new Map(),
      };
      groups.set(key, group);
    }
    group.count++;
    if (t !== undefined && (group.latestTime === undefined || t > group.latestTime)) {
      group.latestTime = t;
      group.latest = o;
    } else if (group.latest === undefined) {
      group.latest = o;
    }
    const range = o.referenceRange?.[0];
    if (range && (range.low?.value !== undefined || range.high?.value !== undefined || range.text) && (group.rangeTime === undefined || (t ?? 0) >= group.rangeTime)) {
      group.range = { low: range.low?.value, high: range.high?.value, text: range.text };
      group.rangeTime = t ?? 0;
    }
    if (t === undefined) continue;
    const add = (label: string, q: Quantity | undefined) => {
      if (q?.value === undefined || typeof q.value !== "number") return;
      let series = group!.seriesByLabel.get(label);
      if (!series) {
        series = { label, points: [] };
        group!.seriesByLabel.set(label, series);
        group!.series.push(series);
      }
      series.points.push({ t, v: q.value, id: o.id });
      if (!group!.unit) group!.unit = q.unit ?? q.code ?? "";
    };
    if (o.valueQuantity) add(group.label, o.valueQuantity);
    for (const c of o.component ?? []) add(conceptText(c.code) || "component", c.valueQuantity);
  }
  const result: ObservationGroup[] = [];
  for (const g of groups.values()) {
    for (const s of g.series) s.points.sort((a, b) => a.t - b.t);
    const { seriesByLabel: _unused, rangeTime: _unusedTime, ...group } = g;
    void _unused;
    void _unusedTime;
    result.push(group);
  }
  const order = { "vital-signs": 0, laboratory: 1, other: 2 } as const;
  return result.sort((a, b) => order[a.category] - order[b.category] || a.label.localeCompare(b.label));
}

export interface Scale {
  min: number;
  max: number;
  ticks: number[];
}

/** A "nice" linear scale covering the values (and the reference range, so the band is visible), with ~5 ticks. */
export function niceScale(values: number[], extra: (number | undefined)[] = [], tickCount = 5): Scale {
  const all = [...values, ...extra.filter((v): v is number => v !== undefined && Number.isFinite(v))];
  if (all.length === 0) return { min: 0, max: 1, ticks: [0, 1] };
  let min = Math.min(...all);
  let max = Math.max(...all);
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  const rawStep = (max - min) / tickCount;
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rawStep) ?? 10 * magnitude;
  const niceMin = Math.floor(min / step) * step;
  const niceMax = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = niceMin; v <= niceMax + step / 2; v += step) ticks.push(Number(v.toFixed(10)));
  return { min: niceMin, max: niceMax, ticks };
}

/**
 * At most `limit` points, keeping each bucket's minimum and maximum so spikes survive; used to cap the number of
 * SVG nodes a chart draws (the full data stays in the table view).
 */
export function downsample(points: Point[], limit: number): Point[] {
  if (points.length <= limit || limit < 4) return points;
  const buckets = Math.floor(limit / 2);
  const size = points.length / buckets;
  const out: Point[] = [];
  for (let b = 0; b < buckets; b++) {
    const slice = points.slice(Math.floor(b * size), Math.floor((b + 1) * size));
    if (slice.length === 0) continue;
    let lo = slice[0]!;
    let hi = slice[0]!;
    for (const p of slice) {
      if (p.v < lo.v) lo = p;
      if (p.v > hi.v) hi = p;
    }
    if (lo === hi) out.push(lo);
    else if (lo.t <= hi.t) out.push(lo, hi);
    else out.push(hi, lo);
  }
  return out;
}
