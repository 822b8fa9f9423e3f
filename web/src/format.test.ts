import { describe, expect, it } from "vitest";
import { ageInYears, formatDate, formatPeriod, humanName, observationValue } from "./format";
import { outcomeMessages, toRelative, fhirUrl } from "./fhir";
import { idlePhase } from "./idle";
import { sessionUser } from "./auth";

describe("humanName", () => {
  it("prefers the official name and joins prefix, given and family", () => {
    expect(humanName([{ use: "nickname", given: ["Annie"] }, { use: "official", family: "Smith", given: ["Ann", "B"], prefix: ["Ms."] }])).toBe("Ms. Ann B Smith");
  });
  it("uses text when present and says when there is no name", () => {
    expect(humanName([{ text: "Dr Who" }])).toBe("Dr Who");
    expect(humanName(undefined)).toBe("(no name)");
    expect(humanName([{}])).toBe("(no name)");
  });
});

describe("dates", () => {
  it("keeps the precision of partial dates", () => {
    expect(formatDate("1970")).toBe("1970");
    expect(formatDate("1970-03")).toBe("Mar 1970");
    expect(formatDate("1970-03-01")).toBe("1 Mar 1970");
    expect(formatDate("not a date")).toBe("not a date");
  });
  it("computes ages from partial birth dates", () => {
    const now = new Date(Date.UTC(2026, 0, 15));
    expect(ageInYears("1970-01-16", now)).toBe(55);
    expect(ageInYears("1970-01-15", now)).toBe(56);
    expect(ageInYears("1970", now)).toBe(56);
    expect(ageInYears(undefined, now)).toBeUndefined();
  });
  it("formats periods", () => {
    expect(formatPeriod({ start: "2020-01-01", end: "2020-01-01" })).toBe("1 Jan 2020");
    expect(formatPeriod({ start: "2020-01-01" })).toBe("from 1 Jan 2020");
    expect(formatPeriod(undefined)).toBe("");
  });
});

describe("observationValue", () => {
  it("shows quantities, blood pressure components and absent data", () => {
    expect(observationValue({ valueQuantity: { value: 72, unit: "/min" } })).toBe("72 /min");
    expect(observationValue({ valueQuantity: { value: 5.4321, unit: "mmol/L" } })).toBe("5.43 mmol/L");
    expect(
      observationValue({
        component: [
          { code: { text: "Systolic" }, valueQuantity: { value: 120, unit: "mm[Hg]" } },
          { code: { text: "Diastolic" }, valueQuantity: { value: 80, unit: "mm[Hg]" } },
        ],
      }),
    ).toBe("120/80 mm[Hg]");
    expect(observationValue({ dataAbsentReason: { text: "Unknown" } })).toBe("(Unknown)");
  });
});

describe("FHIR client helpers", () => {
  it("reads OperationOutcome diagnostics, else details.text, with the location", () => {
    expect(
      outcomeMessages({
        resourceType: "OperationOutcome",
        issue: [{ diagnostics: "Bad date", expression: ["Patient.birthDate"] }, { details: { text: "Second" } }, { code: "invalid" }],
      }),
    ).toEqual(["Bad date (at Patient.birthDate)", "Second", "invalid"]);
    expect(outcomeMessages(undefined)).toEqual([]);
  });
  it("turns the server's absolute paging links into same-origin paths", () => {
    expect(toRelative("http://example.org:8080/fhir/Patient?_cursor=abc&_count=20")).toBe("/fhir/Patient?_cursor=abc&_count=20");
    expect(toRelative("/fhir/Patient")).toBe("/fhir/Patient");
  });
  it("builds search URLs, leaving out empty parameters", () => {
    expect(fhirUrl("Patient", { name: "Smith", birthdate: "", _count: 20 })).toBe("/fhir/Patient?name=Smith&_count=20");
  });
});

describe("idle logoff", () => {
  const minute = 60_000;
  it("is active, then warns with a countdown, then expires", () => {
    expect(idlePhase(0, 10 * minute, 15 * minute, 2 * minute)).toEqual({ phase: "active" });
    expect(idlePhase(0, 14 * minute, 15 * minute, 2 * minute)).toEqual({ phase: "warning", secondsLeft: 60 });
    expect(idlePhase(0, 15 * minute, 15 * minute, 2 * minute)).toEqual({ phase: "expired" });
  });
});

describe("sessionUser", () => {
  it("reads role, name and the patient of a patient user from the claims", () => {
    expect(sessionUser({ profile: { sub: "u1", preferred_username: "pat", role: "patient", fhirUser: "Patient/123" } as never })).toEqual({
      name: "pat",
      role: "patient",
      fhirUser: "Patient/123",
      patientId: "123",
    });
    expect(sessionUser({ profile: { sub: "u2", name: "Dr A", role: "administrator", fhirUser: "Practitioner/9" } as never }).patientId).toBeUndefined();
    expect(sessionUser({ profile: { sub: "u3", role: "unknown" } as never }).role).toBe("clinician");
  });
});
