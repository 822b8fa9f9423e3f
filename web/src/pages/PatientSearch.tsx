import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router-dom";
import { ErrorMessage, JsonLink, Loading } from "../components/Status";
import { bundleLink, bundleResources, fhirGet, fhirUrl, type Bundle, type Resource } from "../fhir";
import { ageInYears, formatCount, formatDate, humanName, type HumanName } from "../format";
import { useTitle } from "../useTitle";

interface Patient extends Resource {
  name?: HumanName[];
  gender?: string;
  birthDate?: string;
  identifier?: { system?: string; value?: string; type?: { text?: string; coding?: { code?: string }[] } }[];
}

const PAGE_SIZE = 20;

/** The medical record number when there is one, else the first identifier. */
function mainIdentifier(p: Patient): string {
  const ids = p.identifier ?? [];
  const mrn = ids.find((i) => i.type?.coding?.some((c) => c.code === "MR")) ?? ids[0];
  return mrn?.value ?? "";
}

export function PatientSearch() {
  useTitle("Find a patient");
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const location = useLocation();
  const name = params.get("name") ?? "";
  const identifier = params.get("identifier") ?? "";
  const birthdate = params.get("birthdate") ?? "";
  const page = params.get("page") ?? "";
  // Pages already seen, so "Previous" works even where the server gives only a "next" link.
  const stack = ((location.state as { stack?: string[] } | null)?.stack ?? []) as string[];

  const [form, setForm] = useState({ name, identifier, birthdate });
  useEffect(() => setForm({ name, identifier, birthdate }), [name, identifier, birthdate]);

  const url = page.startsWith("/fhir/Patient")
    ? page
    : fhirUrl("Patient", {
        name: name || undefined,
        identifier: identifier || undefined,
        birthdate: birthdate || undefined,
        _count: PAGE_SIZE,
        _sort: "family,given",
        _total: "accurate",
        _elements: "name,gender,birthDate,identifier",
      });
  const query = useQuery({
    queryKey: ["fhir", url],
    queryFn: ({ signal }) => fhirGet<Bundle<Patient>>(url, signal),
    placeholderData: (prev) => prev,
  });

  const results = useRef<HTMLHeadingElement>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams();
    if (form.name.trim()) next.set("name", form.name.trim());
    if (form.identifier.trim()) next.set("identifier", form.identifier.trim());
    if (form.birthdate.trim()) next.set("birthdate", form.birthdate.trim());
    setParams(next);
  };
  const goTo = (link: string, nextStack: string[]) => {
    const next = new URLSearchParams(params);
    next.set("page", link);
    navigate({ search: next.toString() }, { state: { stack: nextStack } });
    results.current?.focus();
  };

  const bundle = query.data;
  const patients = bundleResources(bundle, "Patient");
  const nextLink = bundleLink(bundle, "next");
  const prevLink = bundleLink(bundle, "previous") ?? stack[stack.length - 1];
  const offset = stack.length * PAGE_SIZE;

  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Find a patient</h1>
      <form className="search-form" role="search" aria-label="Patients" onSubmit={submit}>
        <div className="field">
          <label htmlFor="q-name">Name</label>
          <input id="q-name" name="name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} autoComplete="off" placeholder="e.g. Smith or Ann" />
        </div>
        <div className="field">
          <label htmlFor="q-identifier">Identifier (MRN)</label>
          <input id="q-identifier" name="identifier" value={form.identifier} onChange={(e) => setForm({ ...form, identifier: e.target.value })} autoComplete="off" aria-describedby="q-identifier-hint" />
          <span className="hint" id="q-identifier-hint">
            A value, or system|value
          </span>
        </div>
        <div className="field">
          <label htmlFor="q-birthdate">Birth date</label>
          <input id="q-birthdate" name="birthdate" value={form.birthdate} onChange={(e) => setForm({ ...form, birthdate: e.target.value })} autoComplete="off" aria-describedby="q-birthdate-hint" placeholder="YYYY-MM-DD" />
          <span className="hint" id="q-birthdate-hint">
            1970, 1970-03 or 1970-03-01; prefixes like ge1960 work
          </span>
        </div>
        <div className="field actions">
          <button type="submit" className="primary">
            Search
          </button>
        </div>
      </form>

      <h2 id="results-title" ref={results} tabIndex={-1} className="results-title">
        Results
        {bundle?.total !== undefined && !query.isError && (
          <span className="muted">
            {" "}
            — {patients.length === 0 ? "none" : `${offset + 1}–${offset + patients.length} of ${formatCount(bundle.total)}`}
          </span>
        )}
      </h2>
      {query.isPending && <Loading label="Searching…" />}
      {query.isError && <ErrorMessage title="The search failed" error={query.error} retry={() => void query.refetch()} />}
      {query.isSuccess && patients.length === 0 && <p>No patient matches. Check the spelling, or search with fewer criteria.</p>}
      {patients.length > 0 && !query.isError && (
        <div className="table-wrap" aria-busy={query.isFetching}>
          <table className="results" aria-labelledby="results-title">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Birth date</th>
                <th scope="col">Gender</th>
                <th scope="col">Identifier</th>
                <th scope="col">
                  <span className="visually-hidden">Resource</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {patients.map((p) => {
                const age = ageInYears(p.birthDate);
                return (
                  <tr key={p.id}>
                    <td data-label="Name">
                      <Link to={`/patients/${encodeURIComponent(p.id ?? "")}`}>{humanName(p.name)}</Link>
                    </td>
                    <td data-label="Born">
                      {formatDate(p.birthDate)}
                      {age !== undefined && <span className="muted"> ({age} y)</span>}
                    </td>
                    <td data-label="Gender">{p.gender ?? ""}</td>
                    <td data-label="Identifier" className="mono">
                      {mainIdentifier(p)}
                    </td>
                    <td>
                      <JsonLink type="Patient" id={p.id} label={`View ${humanName(p.name)} as JSON`} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {(prevLink || nextLink) && !query.isError && (
        <nav className="pager" aria-label="Result pages">
          <button type="button" disabled={!prevLink || stack.length === 0} onClick={() => prevLink && goTo(prevLink, stack.slice(0, -1))}>
            ← Previous
          </button>
          <span className="muted">Page {stack.length + 1}</span>
          <button type="button" disabled={!nextLink} onClick={() => nextLink && goTo(nextLink, [...stack, url])}>
            Next →
          </button>
        </nav>
      )}
    </section>
  );
}
