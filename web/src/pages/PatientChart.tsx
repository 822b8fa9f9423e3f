import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { canReadAudit, useAuth } from "../auth";
import { ErrorMessage, JsonLink, Loading } from "../components/Status";
import { fhirGet, fhirUrl, type Resource } from "../fhir";
import { ageInYears, formatDate, humanName, type HumanName } from "../format";
import { useTitle } from "../useTitle";
import { ClinicalLists } from "./chart/ClinicalLists";
import { Encounters } from "./chart/Encounters";
import { Observations } from "./chart/Observations";

interface Patient extends Resource {
  name?: HumanName[];
  gender?: string;
  birthDate?: string;
  deceasedBoolean?: boolean;
  deceasedDateTime?: string;
  identifier?: { system?: string; value?: string; type?: { text?: string; coding?: { code?: string; display?: string }[] } }[];
  telecom?: { system?: string; value?: string; use?: string }[];
  address?: { line?: string[]; city?: string; state?: string; postalCode?: string; country?: string; text?: string }[];
  maritalStatus?: { text?: string; coding?: { display?: string }[] };
  communication?: { language?: { text?: string; coding?: { display?: string; code?: string }[] } }[];
}

export function PatientChart() {
  const { id = "" } = useParams();
  const { user } = useAuth();
  const url = fhirUrl(`Patient/${encodeURIComponent(id)}`);
  const patient = useQuery({ queryKey: ["fhir", url], queryFn: ({ signal }) => fhirGet<Patient>(url, signal) });
  useTitle(patient.data ? humanName(patient.data.name) : "Patient");

  if (patient.isPending) return <Loading label="Loading the patient…" />;
  if (patient.isError) return <ErrorMessage title="The patient could not be loaded" error={patient.error} retry={() => void patient.refetch()} />;
  const p = patient.data;
  const name = humanName(p.name);
  const age = ageInYears(p.birthDate);
  const address = p.address?.[0];

  return (
    <article className="chart-page" aria-labelledby="patient-name">
      <header className="patient-header">
        <div>
          <h1 id="patient-name">{name}</h1>
          <p className="patient-meta">
            {p.gender && <span>{p.gender}</span>}
            {p.birthDate && (
              <span>
                born {formatDate(p.birthDate)}
                {age !== undefined && !p.deceasedDateTime && !p.deceasedBoolean && ` (${age} y)`}
              </span>
            )}
            {(p.deceasedDateTime || p.deceasedBoolean) && <span className="badge">deceased {formatDate(p.deceasedDateTime)}</span>}
          </p>
        </div>
        <div className="header-links">
          {canReadAudit(user) && <Link to={`/manage/audit?patient=${encodeURIComponent(`Patient/${id}`)}`}>Who accessed this record</Link>}
          <JsonLink type="Patient" id={p.id} label={`View ${name}'s Patient resource as JSON`} />
        </div>
      </header>

      <section className="card demographics" aria-labelledby="demo-title">
        <h2 id="demo-title">Demographics</h2>
        <dl>
          {(p.identifier ?? []).map((i, n) => (
            <div key={n}>
              <dt>{i.type?.text ?? i.type?.coding?.[0]?.display ?? "Identifier"}</dt>
              <dd className="mono">{i.value}</dd>
            </div>
          ))}
          {address && (
            <div>
              <dt>Address</dt>
              <dd>{address.text ?? [...(address.line ?? []), address.city, address.state, address.postalCode, address.country].filter(Boolean).join(", ")}</dd>
            </div>
          )}
          {(p.telecom ?? []).map((t, n) => (
            <div key={`t${n}`}>
              <dt>{[t.system ?? "contact", t.use].filter(Boolean).join(" · ")}</dt>
              <dd>{t.value}</dd>
            </div>
          ))}
          {p.maritalStatus && (
            <div>
              <dt>Marital status</dt>
              <dd>{p.maritalStatus.text ?? p.maritalStatus.coding?.[0]?.display}</dd>
            </div>
          )}
          {p.communication?.[0]?.language && (
            <div>
              <dt>Language</dt>
              <dd>{p.communication[0].language.text ?? p.communication[0].language.coding?.[0]?.display ?? p.communication[0].language.coding?.[0]?.code}</dd>
            </div>
          )}
        </dl>
      </section>

      <ClinicalLists patientId={id} />
      <Observations patientId={id} />
      <Encounters patientId={id} />
    </article>
  );
}
