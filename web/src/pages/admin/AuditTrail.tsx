import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router-dom";
import { userLabel, useUserDirectory } from "../../admin";
import { canSearchPatients, useAuth } from "../../auth";
import {
  ACTIONS,
  auditSearchParams,
  dateRangeProblem,
  filtersFrom,
  filtersToParams,
  NO_FILTERS,
  OUTCOMES,
  patientReference,
  SUBTYPES,
  subtypeLabel,
  summariseAudit,
  type AuditEvent,
  type AuditFilters,
} from "../../audit";
import { ErrorMessage, Loading } from "../../components/Status";
import { bundleLink, bundleResources, FHIR_BASE, fhirGet, type Bundle } from "../../fhir";
import { useTitle } from "../../useTitle";

const PAGE_SIZES = [25, 50, 100];

/** "5 Dec 2026, 03:41:07" — the trail needs seconds. */
export function auditTime(value: string | undefined): string {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString("en-GB", { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** At most three patients of an event (a search may return dozens), the one filtered by first. */
function firstPatients(patients: string[], filtered: string): string[] {
  const wanted = filtered ? patientReference(filtered) : undefined;
  const ordered = wanted && patients.includes(wanted) ? [wanted, ...patients.filter((p) => p !== wanted)] : patients;
  return ordered.slice(0, 3);
}

/**
 * Who accessed what: GET /fhir/AuditEvent with the filters from the page URL (so a filtered view can be bookmarked
 * or linked from a chart), newest first, paged by the Bundle's next links.
 */
export function AuditTrail() {
  useTitle("Audit trail");
  const { user } = useAuth();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const location = useLocation();
  const filters = filtersFrom(params);
  const count = PAGE_SIZES.includes(Number(params.get("count"))) ? Number(params.get("count")) : PAGE_SIZES[0]!;
  const page = params.get("page") ?? "";
  const stack = ((location.state as { stack?: string[] } | null)?.stack ?? []) as string[];
  const directory = useUserDirectory();
  const users = directory.data;

  const [form, setForm] = useState<AuditFilters>(filters);
  const [formError, setFormError] = useState<string>();
  const filterKey = params.toString();
  useEffect(() => setForm(filtersFrom(new URLSearchParams(filterKey))), [filterKey]);

  const problem = dateRangeProblem(filters);
  const searchUrl = page.startsWith(`${FHIR_BASE}/AuditEvent?`) ? page : `${FHIR_BASE}/AuditEvent?${new URLSearchParams(auditSearchParams(filters, count)).toString()}`;
  const query = useQuery({
    queryKey: ["fhir", "audit", searchUrl],
    queryFn: ({ signal }) => fhirGet<Bundle<AuditEvent>>(searchUrl, signal),
    enabled: !problem,
    placeholderData: (prev) => prev,
    // The trail grows with every request (reading it is audited too): always ask the server.
    staleTime: 0,
  });

  const results = useRef<HTMLHeadingElement>(null);
  const apply = (next: AuditFilters, size = count) => {
    const problemNow = dateRangeProblem(next);
    setFormError(problemNow);
    if (problemNow) return;
    const search = filtersToParams(next);
    if (size !== PAGE_SIZES[0]) search.set("count", String(size));
    setParams(search);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(form);
  };
  const goTo = (link: string, nextStack: string[]) => {
    const next = new URLSearchParams(params);
    next.set("page", link);
    navigate({ search: next.toString() }, { state: { stack: nextStack } });
    results.current?.focus();
  };

  const events = bundleResources(query.data, "AuditEvent").map(summariseAudit);
  const nextLink = bundleLink(query.data, "next");
  const prevLink = stack[stack.length - 1];
  const offset = stack.length * count;
  const field = (key: keyof AuditFilters) => ({
    id: `a-${key}`,
    name: key,
    value: form[key],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value }),
  });
  const active = Object.values(filters).some((v) => v);

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit trail</h1>
      <p className="muted">
        Every access to the FHIR API, every sign-in and every admin change, newest first. Reading the trail is recorded too.
      </p>
      <form className="search-form audit-form" role="search" aria-label="Audit events" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="a-patient">Patient</label>
          <input {...field("patient")} autoComplete="off" placeholder="Patient id" aria-describedby="a-patient-hint" />
          <span className="hint" id="a-patient-hint">
            Id or Patient/id
          </span>
        </div>
        <div className="field">
          <label htmlFor="a-agent">User</label>
          {users && users.length > 0 ? (
            <select {...field("agent")}>
              <option value="">Anyone</option>
              {users.map((u) => (
                <option key={u.id ?? u.userName} value={u.id ?? u.userName}>
                  {userLabel(u.id ?? u.userName, users)} — {u.role}
                </option>
              ))}
            </select>
          ) : (
            <>
              <input {...field("agent")} autoComplete="off" aria-describedby="a-agent-hint" />
              <span className="hint" id="a-agent-hint">
                User id, or a client id
              </span>
            </>
          )}
        </div>
        <div className="field">
          <label htmlFor="a-entity">Resource</label>
          <input {...field("entity")} autoComplete="off" placeholder="Observation/123" aria-describedby="a-entity-hint" />
          <span className="hint" id="a-entity-hint">
            Type/id
          </span>
        </div>
        <div className="field">
          <label htmlFor="a-subtype">Interaction</label>
          <select {...field("subtype")}>
            <option value="">Any</option>
            {SUBTYPES.map((s) => (
              <option key={s.code} value={s.code}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="a-action">Action</label>
          <select {...field("action")}>
            <option value="">Any</option>
            {Object.entries(ACTIONS).map(([code, label]) => (
              <option key={code} value={code}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="a-outcome">Outcome</label>
          <select {...field("outcome")}>
            <option value="">Any</option>
            {Object.entries(OUTCOMES)
              .filter(([code]) => code !== "12")
              .map(([code, label]) => (
                <option key={code} value={code}>
                  {label}
                </option>
              ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="a-from">From (UTC)</label>
          <input {...field("from")} type="date" aria-invalid={formError ? true : undefined} aria-describedby={formError ? "a-date-error" : undefined} />
        </div>
        <div className="field">
          <label htmlFor="a-to">To (UTC)</label>
          <input {...field("to")} type="date" aria-invalid={formError ? true : undefined} aria-describedby={formError ? "a-date-error" : undefined} />
        </div>
        <div className="field actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          {active && (
            <button type="button" onClick={() => apply(NO_FILTERS)}>
              Clear
            </button>
          )}
        </div>
        {formError && (
          <p className="error-text field-error" id="a-date-error" role="alert">
            {formError}
          </p>
        )}
      </form>

      <div className="results-bar">
        <h2 id="audit-results" ref={results} tabIndex={-1} className="results-title">
          Events
          {query.isSuccess && !problem && (
            <span className="muted"> — {events.length === 0 ? "none" : `${offset + 1}–${offset + events.length}${nextLink ? ", more on the next page" : ""}`}</span>
          )}
        </h2>
        <label className="inline-field">
          Per page{" "}
          <select value={count} onChange={(e) => apply(filters, Number(e.target.value))}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      {problem && <ErrorMessage title="Check the filters" error={new Error(problem)} />}
      {query.isPending && !problem && <Loading label="Reading the audit trail…" />}
      {query.isError && <ErrorMessage title="The audit trail could not be read" error={query.error} retry={() => void query.refetch()} />}
      {query.isSuccess && events.length === 0 && !problem && <p>No audit event matches these filters.</p>}
      {events.length > 0 && !query.isError && !problem && (
        <div className="table-wrap" aria-busy={query.isFetching}>
          <table className="results audit" aria-labelledby="audit-results">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">User</th>
                <th scope="col">Event</th>
                <th scope="col">Records</th>
                <th scope="col">Outcome</th>
                <th scope="col">
                  <span className="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} className={e.success ? undefined : "failed"}>
                  <td data-label="Time" className="nowrap">
                    <time dateTime={e.recorded}>{auditTime(e.recorded)}</time>
                  </td>
                  <td data-label="User">
                    <span className="item-main">{userLabel(e.who, users)}</span>
                    {e.role && <span className="muted"> · {e.role}</span>}
                    {e.client && <span className="item-detail">via {e.client}</span>}
                  </td>
                  <td data-label="Event">
                    <span className="item-main">{subtypeLabel(e.what)}</span>
                    {e.operation && <span className="item-detail mono">{e.operation}</span>}
                  </td>
                  <td data-label="Records" className="records">
                    {firstPatients(e.patients, filters.patient).map((p) => (
                      <span key={p} className="record">
                        {canSearchPatients(user) ? <Link to={`/patients/${encodeURIComponent(p.slice("Patient/".length))}`}>{p}</Link> : p}
                      </span>
                    ))}
                    {e.patients.length > 3 && <span className="muted">+{e.patients.length - 3} more patients</span>}
                    {e.resources.slice(0, 3).map((r) => (
                      <span key={r} className="record mono">
                        {r}
                      </span>
                    ))}
                    {e.resources.length > 3 && <span className="muted">+{e.resources.length - 3} more</span>}
                  </td>
                  <td data-label="Outcome">
                    <span className={`badge ${e.success ? "badge-pass" : "badge-fail"}`}>
                      {e.success ? "Success" : "Failed"}
                      {e.status && ` · ${e.status}`}
                    </span>
                  </td>
                  <td>
                    <Link to={`/manage/audit/${encodeURIComponent(e.id)}`} aria-label={`Details of the ${subtypeLabel(e.what).toLowerCase()} event at ${auditTime(e.recorded)}`}>
                      Details
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {(prevLink || nextLink) && !query.isError && !problem && (
        <nav className="pager" aria-label="Audit pages">
          <button type="button" disabled={!prevLink} onClick={() => prevLink && goTo(prevLink, stack.slice(0, -1))}>
            ← Newer
          </button>
          <span className="muted">Page {stack.length + 1}</span>
          <button type="button" disabled={!nextLink} onClick={() => nextLink && goTo(nextLink, [...stack, searchUrl])}>
            Older →
          </button>
        </nav>
      )}
    </section>
  );
}
