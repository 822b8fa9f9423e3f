import { useQuery } from "@tanstack/react-query";
import { ErrorMessage, Loading } from "../../components/Status";
import type { ComplianceReport } from "../../admin";
import { apiGet } from "../../fhir";
import { useTitle } from "../../useTitle";

/** GET /admin/compliance: the HIPAA technical safeguards (45 CFR 164.312) checked against the running server. */
export function Safeguards() {
  useTitle("Safeguards report");
  const report = useQuery({ queryKey: ["admin", "compliance"], queryFn: ({ signal }) => apiGet<ComplianceReport>("/admin/compliance", signal), staleTime: 0 });
  const failed = report.data?.checks.filter((c) => !c.passed) ?? [];
  const passed = report.data?.checks.filter((c) => c.passed) ?? [];

  return (
    <section aria-labelledby="safeguards-title">
      <div className="page-head">
        <h1 id="safeguards-title">Safeguards report</h1>
        <button type="button" onClick={() => void report.refetch()} disabled={report.isFetching}>
          {report.isFetching && report.data ? "Checking…" : "Check again"}
        </button>
      </div>
      <p className="muted">
        The HIPAA technical safeguards (45 CFR 164.312) checked against this server&apos;s configuration. What the server cannot verify counts as failed, with
        what to do. The same report: <code>carelake compliance report</code>.
      </p>
      {report.isPending && <Loading label="Running the checks…" />}
      {report.isError && <ErrorMessage title="The report could not be run" error={report.error} retry={() => void report.refetch()} />}
      {report.data && (
        <>
          <p className={`summary-banner ${report.data.passed ? "ok" : "bad"}`} role="status" data-testid="safeguards-summary">
            <span className="summary-icon" aria-hidden="true">
              {report.data.passed ? "✓" : "!"}
            </span>
            {report.data.passed
              ? `All ${report.data.checks.length} checks pass.`
              : `${failed.length} of ${report.data.checks.length} checks fail; ${passed.length} pass.`}
          </p>
          <ul className="checks" aria-label="Checks">
            {[...failed, ...passed].map((c) => (
              <li key={c.id} className={`check ${c.passed ? "pass" : "fail"}`} data-check={c.id}>
                <div className="check-head">
                  <span className={`badge ${c.passed ? "badge-pass" : "badge-fail"}`}>
                    <span aria-hidden="true">{c.passed ? "✓ " : "✗ "}</span>
                    {c.passed ? "Pass" : "Fail"}
                  </span>
                  <h2 className="check-title">{c.safeguard}</h2>
                </div>
                <p className="check-finding">{c.finding}</p>
                {!c.passed && (
                  <p className="check-remediation">
                    <strong>What to do: </strong>
                    {c.remediation}
                  </p>
                )}
                <span className="muted mono small">{c.id}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
