import { describe, expect, it } from "vitest";
import { userLabel } from "./admin";
import { auditSearchParams, dateRangeProblem, filtersFrom, filtersToParams, NO_FILTERS, patientReference, summariseAudit, type AuditEvent } from "./audit";
import { oauthMessages } from "./fhir";

const read: AuditEvent = {
  resourceType: "AuditEvent",
  id: "a1",
  type: { system: "http://terminology.hl7.org/CodeSystem/audit-event-type", code: "rest" },
  subtype: [{ system: "http://hl7.org/fhir/restful-interaction", code: "read" }],
  action: "R",
  recorded: "2026-12-05T03:41:07.123Z",
  outcome: "0",
  outcomeDesc: "200",
  agent: [
    { requestor: true, who: { identifier: { system: "http://carelake.dev/fhir/sid/user", value: "u-1" } }, role: [{ coding: [{ code: "clinician" }] }], network: { address: "127.0.0.1" } },
    { requestor: false, who: { identifier: { value: "carelake-web" } }, type: { coding: [{ code: "110150" }] } },
  ],
  entity: [
    { what: { reference: "Observation/o1/_history/2" }, role: { code: "4" } },
    { what: { reference: "Patient/p1/_history/1" }, role: { code: "4" } },
    { what: { reference: "Patient/p1" }, type: { code: "1" }, role: { code: "1" } },
    { role: { code: "24" }, query: btoa("subject=Patient/p1&_count=10") },
  ],
};

describe("summariseAudit", () => {
  it("names the user, role, client, interaction, outcome and the records without versions", () => {
    const s = summariseAudit(read);
    expect(s).toMatchObject({ id: "a1", who: "u-1", role: "clinician", client: "carelake-web", network: "127.0.0.1", action: "Read", what: "read", success: true, outcome: "Success", status: "200" });
    expect(s.patients).toEqual(["Patient/p1"]);
    expect(s.resources).toEqual(["Observation/o1"]);
    expect(s.query).toBe("subject=Patient/p1&_count=10");
  });
  it("reads security events (carelake subtypes, no restful interaction) and failures", () => {
    const s = summariseAudit({
      resourceType: "AuditEvent",
      id: "a2",
      type: { code: "110114", display: "User Authentication" },
      subtype: [{ system: "http://carelake.dev/fhir/CodeSystem/operation", code: "login" }],
      action: "E",
      outcome: "4",
      outcomeDesc: "401",
      agent: [{ requestor: true, who: { identifier: { value: "login:doc" } } }],
    });
    expect(s).toMatchObject({ who: "login:doc", what: "login", operation: undefined, success: false, outcome: "Failed (client error)", action: "Execute" });
  });
});

describe("audit filters", () => {
  it("round-trip through the page URL, leaving out empty ones", () => {
    const filters = { ...NO_FILTERS, patient: "p1", outcome: "4", from: "2026-01-01" };
    const params = filtersToParams(filters);
    expect(params.toString()).toBe("patient=p1&outcome=4&from=2026-01-01");
    expect(filtersFrom(params)).toEqual(filters);
  });
  it("become FHIR search parameters: patient reference, a date range as ge/le, newest first", () => {
    const params = auditSearchParams({ ...NO_FILTERS, patient: "p1", agent: "u-1", subtype: "read", action: "R", from: "2026-01-01", to: "2026-01-31" }, 25);
    expect(params).toEqual([
      ["patient", "Patient/p1"],
      ["agent", "u-1"],
      ["subtype", "read"],
      ["action", "R"],
      ["date", "ge2026-01-01"],
      ["date", "le2026-01-31"],
      ["_count", "25"],
      ["_sort", "-date"],
    ]);
    expect(patientReference("Patient/x")).toBe("Patient/x");
  });
  it("catch a date range that ends before it starts", () => {
    expect(dateRangeProblem({ ...NO_FILTERS, from: "2026-02-01", to: "2026-01-01" })).toMatch(/before/);
    expect(dateRangeProblem({ ...NO_FILTERS, from: "2026-01-01", to: "2026-01-01" })).toBeUndefined();
  });
});

describe("admin API helpers", () => {
  it("show a user's name for an id in the directory, else the id", () => {
    const users = [{ id: "u-1", userName: "doc", displayName: "Dr Ann Lee", role: "clinician", disabled: false, lockedOut: false }];
    expect(userLabel("u-1", users)).toBe("Dr Ann Lee (doc)");
    expect(userLabel("anonymous/dev", users)).toBe("anonymous/dev");
    expect(userLabel("u-1", undefined)).toBe("u-1");
  });
  it("read OAuth-style error bodies", () => {
    expect(oauthMessages({ error: "invalid_request", error_description: "The password must be at least 12 characters." })).toEqual(["The password must be at least 12 characters."]);
    expect(oauthMessages({ error: "access_denied" })).toEqual(["access denied"]);
    expect(oauthMessages("x")).toEqual([]);
  });
});
