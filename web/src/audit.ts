// The audit trail (AuditEvent, see docs/audit.md) in words: who did what to which record, when, with what outcome;
// and the filter form <-> FHIR search parameters.
import type { CodeableConcept, Coding, Reference, Resource } from "./fhir";

export interface AuditEvent extends Resource {
  resourceType: "AuditEvent";
  type?: Coding;
  subtype?: Coding[];
  action?: string;
  recorded?: string;
  outcome?: string;
  outcomeDesc?: string;
  purposeOfEvent?: CodeableConcept[];
  agent?: {
    who?: Reference & { identifier?: { system?: string; value?: string } };
    requestor?: boolean;
    role?: CodeableConcept[];
    type?: CodeableConcept;
    network?: { address?: string };
  }[];
  source?: { site?: string; observer?: Reference };
  entity?: { what?: Reference; type?: Coding; role?: Coding; lifecycle?: Coding; query?: string; description?: string }[];
}

const USER_SYSTEM = "http://carelake.dev/fhir/sid/user";

export const ACTIONS: Record<string, string> = { C: "Create", R: "Read", U: "Update", D: "Delete", E: "Execute" };
export const OUTCOMES: Record<string, string> = { "0": "Success", "4": "Failed (client error)", "8": "Failed (server error)", "12": "Failed (major)" };

/** The subtypes the server records (restful interactions and Carelake's security events), for the filter. */
export const SUBTYPES: readonly { code: string; label: string }[] = [
  { code: "read", label: "Read" },
  { code: "vread", label: "Read a version" },
  { code: "search-type", label: "Search" },
  { code: "search-system", label: "Search across types" },
  { code: "history-instance", label: "History" },
  { code: "create", label: "Create" },
  { code: "update", label: "Update" },
  { code: "patch", label: "Patch" },
  { code: "delete", label: "Delete" },
  { code: "transaction", label: "Transaction / batch" },
  { code: "operation", label: "Operation ($everything, …)" },
  { code: "login", label: "Sign-in" },
  { code: "token-issue", label: "Token issued" },
  { code: "token-revoke", label: "Token revoked" },
  { code: "logout", label: "Sign-out" },
  { code: "break-glass", label: "Break-glass" },
  { code: "admin-change", label: "Admin change" },
  { code: "admin-read", label: "Admin read" },
];

/** "Read", "Search", "Sign-in" for a subtype code; the code itself when it is not one the server records. */
export function subtypeLabel(code: string): string {
  return SUBTYPES.find((s) => s.code === code)?.label ?? code;
}

export interface AuditSummary {
  id: string;
  recorded?: string;
  /** The user (token subject, "anonymous/dev", "login:<name>"...). */
  who: string;
  role?: string;
  client?: string;
  network?: string;
  action: string;
  /** The interaction or event: "read", "search-type", "login"... */
  what: string;
  operation?: string;
  success: boolean;
  outcome: string;
  status?: string;
  /** Resources touched (Type/id, without the version), the patients among them first. */
  patients: string[];
  resources: string[];
  query?: string;
  purpose: string[];
}

/** A base64 string of the query (BALP) as text; undefined when it is not valid base64. */
export function decodeQuery(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  } catch {
    return undefined;
  }
}

export function summariseAudit(audit: AuditEvent): AuditSummary {
  const agents = audit.agent ?? [];
  const user = agents.find((a) => a.requestor) ?? agents[0];
  const client = agents.find((a) => a !== user && a.type?.coding?.some((c) => c.code === "110150"));
  const subtypes = audit.subtype ?? [];
  const interaction = subtypes.find((s) => s.system === "http://hl7.org/fhir/restful-interaction")?.code;
  const other = subtypes.find((s) => s.system !== "http://hl7.org/fhir/restful-interaction")?.code;
  const patients: string[] = [];
  const resources: string[] = [];
  let query: string | undefined;
  for (const entity of audit.entity ?? []) {
    const ref = entity.what?.reference?.replace(/\/_history\/[^/]+$/, "");
    if (entity.query) query = decodeQuery(entity.query) ?? entity.query;
    if (!ref) {
      if (entity.what?.display) resources.push(entity.what.display);
      continue;
    }
    if (entity.role?.code === "1" || (ref.startsWith("Patient/") && entity.type?.code === "1")) {
      if (!patients.includes(ref)) patients.push(ref);
    } else if (!resources.includes(ref)) {
      resources.push(ref);
    }
  }
  const outcome = audit.outcome ?? "0";
  // A read of a Patient names it twice (the resource read, and the patient whose data it is): list it once.
  const others = resources.filter((r) => !patients.includes(r));
  return {
    id: audit.id ?? "",
    recorded: audit.recorded,
    who: user?.who?.identifier?.value ?? user?.who?.display ?? user?.who?.reference ?? "unknown",
    role: user?.role?.[0]?.coding?.[0]?.code ?? user?.role?.[0]?.text,
    client: client?.who?.identifier?.value ?? client?.who?.display,
    network: user?.network?.address,
    action: ACTIONS[audit.action ?? ""] ?? audit.action ?? "",
    what: interaction ?? other ?? audit.type?.display ?? audit.type?.code ?? "",
    operation: interaction ? other : undefined,
    success: outcome === "0",
    outcome: OUTCOMES[outcome] ?? outcome,
    status: audit.outcomeDesc,
    patients,
    resources: others,
    query,
    purpose: (audit.purposeOfEvent ?? []).map((p) => p.coding?.[0]?.code ?? p.text ?? "").filter((p) => p),
  };
}

export function isUserIdentifier(system: string | undefined): boolean {
  return system === USER_SYSTEM;
}

/** The audit view's filters, as they stand in the page URL. */
export interface AuditFilters {
  patient: string;
  agent: string;
  entity: string;
  subtype: string;
  action: string;
  outcome: string;
  from: string;
  to: string;
}

export const NO_FILTERS: AuditFilters = { patient: "", agent: "", entity: "", subtype: "", action: "", outcome: "", from: "", to: "" };

const FILTER_KEYS = Object.keys(NO_FILTERS) as (keyof AuditFilters)[];

export function filtersFrom(params: URLSearchParams): AuditFilters {
  const out = { ...NO_FILTERS };
  for (const key of FILTER_KEYS) out[key] = params.get(key) ?? "";
  return out;
}

export function filtersToParams(filters: AuditFilters): URLSearchParams {
  const out = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key].trim();
    if (value) out.set(key, value);
  }
  return out;
}

/** "123" or "Patient/123" → "Patient/123". */
export function patientReference(value: string): string {
  const v = value.trim();
  return v.startsWith("Patient/") ? v : `Patient/${v}`;
}

/**
 * The FHIR search for the filters: a date range is two date parameters (ge the start day, le the end day — a day's
 * range covers the whole day), newest first.
 */
export function auditSearchParams(filters: AuditFilters, count: number): [string, string][] {
  const out: [string, string][] = [];
  if (filters.patient.trim()) out.push(["patient", patientReference(filters.patient)]);
  if (filters.agent.trim()) out.push(["agent", filters.agent.trim()]);
  if (filters.entity.trim()) out.push(["entity", filters.entity.trim()]);
  if (filters.subtype) out.push(["subtype", filters.subtype]);
  if (filters.action) out.push(["action", filters.action]);
  if (filters.outcome) out.push(["outcome", filters.outcome]);
  if (filters.from) out.push(["date", `ge${filters.from}`]);
  if (filters.to) out.push(["date", `le${filters.to}`]);
  out.push(["_count", String(count)]);
  out.push(["_sort", "-date"]);
  return out;
}

/** A date range whose end comes before its start; else undefined. */
export function dateRangeProblem(filters: AuditFilters): string | undefined {
  if (filters.from && filters.to && filters.to < filters.from) return "The end date is before the start date.";
  return undefined;
}
