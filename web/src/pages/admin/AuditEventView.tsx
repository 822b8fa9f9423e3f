import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router-dom";
import { userLabel, useUserDirectory } from "../../admin";
import { canSearchPatients, useAuth } from "../../auth";
import { subtypeLabel, summariseAudit, type AuditEvent } from "../../audit";
import { ErrorMessage, Loading } from "../../components/Status";
import { fhirGet, fhirUrl } from "../../fhir";
import { useTitle } from "../../useTitle";
import { auditTime } from "./AuditTrail";

/** One AuditEvent: what it says in words, every entity it names, and the record as stored. */
export function AuditEventView() {
  const { id = "" } = useParams();
  const navigate = useNavigate();
  const { user } = useAuth();
  useTitle(`Audit event ${id}`);
  const url = fhirUrl(`AuditEvent/${encodeURIComponent(id)}`);
  const query = useQuery({ queryKey: ["fhir", url], queryFn: ({ signal }) => fhirGet<AuditEvent>(url, signal), staleTime: Infinity });
  const users = useUserDirectory().data;
  const audit = query.data;
  const s = audit ? summariseAudit(audit) : undefined;

  return (
    <section aria-labelledby="event-title">
      <p className="breadcrumbs">
        <button type="button" className="link-button" onClick={() => navigate(-1)}>
          ← Back
        </button>
        {" · "}
        <Link to="/manage/audit">Audit trail</Link>
      </p>
      <h1 id="event-title">Audit event</h1>
      {query.isPending && <Loading />}
      {query.isError && <ErrorMessage title="The audit event could not be loaded" error={query.error} retry={() => void query.refetch()} />}
      {audit && s && (
        <>
          <dl className="facts card">
            <div>
              <dt>Time</dt>
              <dd>
                <time dateTime={s.recorded}>{auditTime(s.recorded)}</time>
              </dd>
            </div>
            <div>
              <dt>User</dt>
              <dd>
                {userLabel(s.who, users)}
                {s.role && <span className="muted"> · {s.role}</span>}
                {s.who !== userLabel(s.who, users) && <span className="item-detail mono">{s.who}</span>}
              </dd>
            </div>
            {s.client && (
              <div>
                <dt>Application</dt>
                <dd className="mono">{s.client}</dd>
              </div>
            )}
            {s.network && (
              <div>
                <dt>Network address</dt>
                <dd className="mono">{s.network}</dd>
              </div>
            )}
            <div>
              <dt>Event</dt>
              <dd>
                {subtypeLabel(s.what)}
                {s.operation && <span className="mono"> {s.operation}</span>}
                {s.action && s.action !== subtypeLabel(s.what) && <span className="muted"> · action {s.action}</span>}
              </dd>
            </div>
            <div>
              <dt>Outcome</dt>
              <dd>
                <span className={`badge ${s.success ? "badge-pass" : "badge-fail"}`}>{s.outcome}</span>
                {s.status && <span className="muted"> HTTP {s.status}</span>}
              </dd>
            </div>
            {s.purpose.length > 0 && (
              <div>
                <dt>Purpose of use</dt>
                <dd>{s.purpose.join(", ")}</dd>
              </div>
            )}
            {s.query && (
              <div>
                <dt>Query</dt>
                <dd className="mono wrap">{s.query}</dd>
              </div>
            )}
            <div>
              <dt>Record id</dt>
              <dd className="mono wrap">{audit.id}</dd>
            </div>
          </dl>

          {(s.patients.length > 0 || s.resources.length > 0) && (
            <section className="card" aria-labelledby="entities-title">
              <h2 id="entities-title">Records touched</h2>
              <ul className="plain-list">
                {s.patients.map((p) => (
                  <li key={p}>
                    <span className="badge">patient</span>{" "}
                    {canSearchPatients(user) ? <Link to={`/patients/${encodeURIComponent(p.slice("Patient/".length))}`}>{p}</Link> : <span className="mono">{p}</span>}{" "}
                    · <Link to={`/manage/audit?patient=${encodeURIComponent(p)}`}>all access to this patient</Link>
                  </li>
                ))}
                {s.resources.map((r) => (
                  <li key={r} className="mono wrap">
                    {r}
                  </li>
                ))}
              </ul>
            </section>
          )}

          <h2>As stored</h2>
          <pre className="json" tabIndex={0} aria-label={`Audit event ${id} as JSON`}>
            <code>{JSON.stringify(audit, null, 2)}</code>
          </pre>
        </>
      )}
    </section>
  );
}
