import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ErrorMessage, Loading } from "../components/Status";
import { fhirGet, fhirUrl, type Resource } from "../fhir";
import { formatDate } from "../format";
import { useTitle } from "../useTitle";

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

/** Any resource as formatted JSON, exactly as the server returned it. */
export function ResourceView() {
  const { type = "", id = "" } = useParams();
  const navigate = useNavigate();
  useTitle(`${type}/${id}`);
  const valid = TYPE.test(type);
  const url = fhirUrl(`${type}/${encodeURIComponent(id)}`);
  const query = useQuery({ queryKey: ["fhir", url], queryFn: ({ signal }) => fhirGet<Resource>(url, signal), enabled: valid });
  const [copied, setCopied] = useState(false);
  const json = query.data ? JSON.stringify(query.data, null, 2) : "";
  const subject = (query.data?.subject ?? query.data?.patient) as { reference?: string } | undefined;
  const patientId = type === "Patient" ? id : subject?.reference?.match(/^Patient\/(.+)$/)?.[1];

  return (
    <section aria-labelledby="res-title">
      <p className="breadcrumbs">
        <button type="button" className="link-button" onClick={() => navigate(-1)}>
          ← Back
        </button>
        {patientId && (
          <>
            {" · "}
            <Link to={`/patients/${encodeURIComponent(patientId)}`}>Patient chart</Link>
          </>
        )}
      </p>
      <h1 id="res-title">
        {type}/{id}
      </h1>
      {!valid && <ErrorMessage error={new Error(`'${type}' is not a resource type.`)} />}
      {query.isPending && valid && <Loading />}
      {query.isError && <ErrorMessage title="The resource could not be loaded" error={query.error} retry={() => void query.refetch()} />}
      {query.data && (
        <>
          <p className="muted">
            Version {query.data.meta?.versionId ?? "?"}
            {query.data.meta?.lastUpdated && `, last updated ${formatDate(query.data.meta.lastUpdated)}`}
            {" · "}
            <button
              type="button"
              className="link-button"
              onClick={() => {
                void navigator.clipboard?.writeText(json).then(() => setCopied(true));
              }}
            >
              {copied ? "Copied" : "Copy JSON"}
            </button>
          </p>
          <pre className="json" tabIndex={0} aria-label={`${type} ${id} as JSON`}>
            <code>{json}</code>
          </pre>
        </>
      )}
    </section>
  );
}
