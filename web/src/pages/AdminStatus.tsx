import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { ErrorMessage, Loading } from "../components/Status";
import { apiGet, fhirGet, fhirPost, fhirUrl, type Bundle, type Resource } from "../fhir";
import { formatCount, formatDate } from "../format";
import { useTitle } from "../useTitle";

interface Job {
  id: string;
  kind: string;
  status: string;
  processed: number;
  total?: number | null;
  created: string;
  updated: string;
  error?: string | null;
}
interface Status {
  software: string;
  version: string;
  fhirVersion: string;
  storage: string;
  dev: boolean;
  basePath: string;
  /** Position of the newest audit record: how many were written (retention may have removed old ones since). */
  auditRecordsWritten?: number;
  jobs: Job[];
}
interface CapabilityStatement extends Resource {
  software?: { name?: string; version?: string };
  fhirVersion?: string;
  rest?: { resource?: { type: string }[] }[];
}

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

export function AdminStatus() {
  useTitle("System status");
  const status = useQuery({
    queryKey: ["api", "status"],
    queryFn: ({ signal }) => apiGet<Status>("/api/status", signal),
    // Poll while a job runs, so its progress moves.
    refetchInterval: (q) => (q.state.data?.jobs.some((j) => j.status === "queued" || j.status === "running") ? 2000 : false),
  });
  const metadata = useQuery({ queryKey: ["fhir", "/fhir/metadata"], queryFn: ({ signal }) => fhirGet<CapabilityStatement>("/fhir/metadata", signal), staleTime: Infinity });
  // AuditEvent is the audit trail, not stored data: it has its own access rules and counting it would itself be
  // audited; /api/status gives the number of records written instead.
  const types = metadata.data?.rest?.[0]?.resource?.map((r) => r.type).filter((t) => t !== "AuditEvent") ?? [];
  const counts = useQuery({
    queryKey: ["fhir", "counts", types.length],
    enabled: types.length > 0,
    queryFn: ({ signal }) =>
      pool(types, 6, async (type) => ({ type, count: (await fhirGet<Bundle>(fhirUrl(type, { _summary: "count" }), signal)).total ?? 0 })),
  });
  const [showEmpty, setShowEmpty] = useState(false);

  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">System status</h1>
      <div className="card-grid">
        <section className="card" aria-labelledby="server-title">
          <h2 id="server-title">Server</h2>
          {status.isPending && <Loading />}
          {status.isError && <ErrorMessage title="Status unavailable" error={status.error} retry={() => void status.refetch()} />}
          {status.data && (
            <dl className="facts">
              <div>
                <dt>Software</dt>
                <dd>
                  {status.data.software} {status.data.version}
                </dd>
              </div>
              <div>
                <dt>FHIR version</dt>
                <dd>{metadata.data?.fhirVersion ?? status.data.fhirVersion}</dd>
              </div>
              <div>
                <dt>Storage provider</dt>
                <dd data-testid="storage-provider">{status.data.storage}</dd>
              </div>
              <div>
                <dt>Authentication</dt>
                <dd>{status.data.dev ? "off (developer mode)" : "on"}</dd>
              </div>
              {status.data.auditRecordsWritten !== undefined && (
                <div>
                  <dt>Audit records written</dt>
                  <dd data-testid="audit-records">
                    {formatCount(status.data.auditRecordsWritten)} · <Link to="/manage/audit">Audit trail</Link>
                  </dd>
                </div>
              )}
              <div>
                <dt>FHIR base</dt>
                <dd className="mono">{window.location.origin + status.data.basePath}</dd>
              </div>
            </dl>
          )}
        </section>
        <Jobs status={status.data} />
      </div>

      <section className="card wide" aria-labelledby="counts-title">
        <h2 id="counts-title">Resources by type</h2>
        {(metadata.isPending || counts.isPending) && !metadata.isError && !counts.isError && <Loading label="Counting resources…" />}
        {metadata.isError && <ErrorMessage error={metadata.error} />}
        {counts.isError && <ErrorMessage title="Counting failed" error={counts.error} retry={() => void counts.refetch()} />}
        {counts.data && (
          <>
            <div className="table-wrap" tabIndex={0} role="region" aria-label="Resource counts">
              <table className="compact counts">
                <caption className="visually-hidden">Number of current resources per type</caption>
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col" className="num">
                      Resources
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {counts.data
                    .filter((c) => showEmpty || c.count > 0)
                    .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type))
                    .map((c) => (
                      <tr key={c.type}>
                        <th scope="row">{c.type}</th>
                        <td className="num">{formatCount(c.count)}</td>
                      </tr>
                    ))}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">Total</th>
                    <td className="num">{formatCount(counts.data.reduce((s, c) => s + c.count, 0))}</td>
                  </tr>
                </tfoot>
              </table>
            </div>
            <label className="checkbox">
              <input type="checkbox" checked={showEmpty} onChange={(e) => setShowEmpty(e.target.checked)} /> Show the {counts.data.filter((c) => c.count === 0).length} types with no resources
            </label>
          </>
        )}
      </section>
    </section>
  );
}

function Jobs({ status }: { status: Status | undefined }) {
  const client = useQueryClient();
  const reindex = useMutation({
    mutationFn: () => fhirPost("/fhir/$reindex", undefined),
    onSettled: () => void client.invalidateQueries({ queryKey: ["api", "status"] }),
  });
  return (
    <section className="card" aria-labelledby="jobs-title">
      <h2 id="jobs-title">Background jobs</h2>
      {status && status.jobs.length === 0 && <p className="muted">No background jobs have run.</p>}
      {status && status.jobs.length > 0 && (
        <ul className="jobs">
          {status.jobs.map((j) => {
            const pct = j.total ? Math.round((100 * j.processed) / j.total) : undefined;
            return (
              <li key={j.id}>
                <div className="job-head">
                  <span className="item-main">{j.kind}</span>
                  <span className={`badge job-${j.status}`}>{j.status}</span>
                </div>
                <progress max={j.total ?? undefined} value={j.total ? j.processed : undefined} aria-label={`${j.kind} ${j.id} progress`}>
                  {pct !== undefined ? `${pct}%` : ""}
                </progress>
                <span className="item-detail">
                  {formatCount(j.processed)}
                  {j.total ? ` of ${formatCount(j.total)} (${pct}%)` : ""} resources · started {formatDate(j.created)} · updated {formatDate(j.updated)}
                </span>
                {j.error && <span className="error-text">{j.error}</span>}
              </li>
            );
          })}
        </ul>
      )}
      <button
        type="button"
        disabled={reindex.isPending}
        onClick={() => {
          if (window.confirm("Rebuild the search indexes of all resources? Searches stay available while it runs.")) reindex.mutate();
        }}
      >
        Start a reindex
      </button>
      {reindex.isError && <ErrorMessage title="The reindex could not start" error={reindex.error} />}
    </section>
  );
}
