// A small FHIR REST client: same-origin fetches with the bearer token, Bundle paging links, and failures turned
// into readable messages from the server's OperationOutcome.

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}
export interface Reference {
  reference?: string;
  display?: string;
}
export interface Quantity {
  value?: number;
  unit?: string;
  code?: string;
  system?: string;
}
export interface Period {
  start?: string;
  end?: string;
}
export interface Resource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string };
  [key: string]: unknown;
}
export interface BundleLink {
  relation: string;
  url: string;
}
export interface Bundle<T extends Resource = Resource> extends Resource {
  resourceType: "Bundle";
  type?: string;
  total?: number;
  link?: BundleLink[];
  entry?: { fullUrl?: string; resource?: T; search?: { mode?: string } }[];
}
export interface OperationOutcomeIssue {
  severity?: string;
  code?: string;
  diagnostics?: string;
  details?: CodeableConcept;
  expression?: string[];
}
export interface OperationOutcome extends Resource {
  resourceType: "OperationOutcome";
  issue?: OperationOutcomeIssue[];
}

export const FHIR_BASE = "/fhir";

/** A failed request: the HTTP status and the messages a person can read (from the OperationOutcome when there is one). */
export class FhirError extends Error {
  readonly status: number;
  readonly messages: string[];
  readonly outcome?: OperationOutcome;

  constructor(status: number, messages: string[], outcome?: OperationOutcome) {
    super(messages.join(" ") || `Request failed with status ${status}.`);
    this.name = "FhirError";
    this.status = status;
    this.messages = messages;
    this.outcome = outcome;
  }
}

/** The readable lines of an OperationOutcome: diagnostics, else details.text, else the issue code; with the location. */
export function outcomeMessages(outcome: OperationOutcome | undefined): string[] {
  return (outcome?.issue ?? [])
    .map((issue) => {
      const text = issue.diagnostics ?? issue.details?.text ?? issue.details?.coding?.[0]?.display ?? issue.code ?? "";
      const where = issue.expression?.length ? ` (at ${issue.expression.join(", ")})` : "";
      return text ? text + where : "";
    })
    .filter((m) => m.length > 0);
}

type TokenSource = () => string | undefined;
let accessToken: TokenSource = () => undefined;
let onUnauthorized: () => void = () => {};

/** Called by the auth layer: where the bearer token comes from, and what to do when the server answers 401. */
export function configureFhirClient(token: TokenSource, unauthorized: () => void): void {
  accessToken = token;
  onUnauthorized = unauthorized;
}

/**
 * Paging links in a Bundle are absolute URLs on the server's base; the app always calls its own origin (the dev
 * server proxies), so keep only path and query.
 */
export function toRelative(url: string): string {
  if (url.startsWith("/")) return url;
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

export function fhirUrl(path: string, params?: Record<string, string | number | undefined>): string {
  const url = path.startsWith("/") ? path : `${FHIR_BASE}/${path}`;
  if (!params) return url;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") query.append(key, String(value));
  }
  const qs = query.toString();
  return qs ? `${url}${url.includes("?") ? "&" : "?"}${qs}` : url;
}

async function request<T>(url: string, init: RequestInit & { signal?: AbortSignal }): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set("Accept", "application/fhir+json, application/json;q=0.9");
  const token = accessToken();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(toRelative(url), { ...init, headers });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new FhirError(0, ["The server could not be reached. Check the network connection and try again."]);
  }
  const text = await response.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (!response.ok) {
    if (response.status === 401) onUnauthorized();
    const outcome = (body as Resource | undefined)?.resourceType === "OperationOutcome" ? (body as OperationOutcome) : undefined;
    const messages = outcome ? outcomeMessages(outcome) : oauthMessages(body);
    if (messages.length === 0) messages.push(defaultMessage(response.status));
    throw new FhirError(response.status, messages, outcome);
  }
  return body as T;
}

/** The admin and auth APIs answer errors as OAuth-style JSON: { error, error_description }. */
export function oauthMessages(body: unknown): string[] {
  if (!body || typeof body !== "object") return [];
  const { error, error_description: description } = body as { error?: unknown; error_description?: unknown };
  if (typeof description === "string" && description) return [description];
  return typeof error === "string" && error ? [error.replace(/_/g, " ")] : [];
}

function defaultMessage(status: number): string {
  switch (status) {
    case 401:
      return "Your session has ended. Sign in again.";
    case 403:
      return "You are not allowed to see this.";
    case 404:
      return "Not found.";
    default:
      return status >= 500 ? `The server failed (status ${status}). Try again later.` : `The request failed (status ${status}).`;
  }
}

export function fhirGet<T = Resource>(url: string, signal?: AbortSignal): Promise<T> {
  return request<T>(url, { method: "GET", signal });
}

export function fhirPost<T = Resource>(url: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return request<T>(url, {
    method: "POST",
    signal,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? undefined : { "Content-Type": "application/fhir+json" },
  });
}

/** Plain JSON from the server's own small APIs (/api/..., /admin/...). */
export function apiGet<T>(url: string, signal?: AbortSignal): Promise<T> {
  return request<T>(url, { method: "GET", signal });
}

/** A change through the admin API: JSON in (when there is a body), JSON or nothing out. */
export function apiSend<T = unknown>(url: string, method: "POST" | "PUT" | "DELETE", body?: unknown): Promise<T> {
  return request<T>(url, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? undefined : { "Content-Type": "application/json" },
  });
}

export function bundleLink(bundle: Bundle | undefined, relation: string): string | undefined {
  const url = bundle?.link?.find((l) => l.relation === relation)?.url;
  return url ? toRelative(url) : undefined;
}

export function bundleResources<T extends Resource>(bundle: Bundle<T> | undefined, type?: string): T[] {
  const out: T[] = [];
  for (const entry of bundle?.entry ?? []) {
    const r = entry.resource;
    if (r && (!type || r.resourceType === type) && entry.search?.mode !== "outcome") out.push(r);
  }
  return out;
}
