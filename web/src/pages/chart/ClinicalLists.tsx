import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { ErrorMessage, JsonLink, Loading } from "../../components/Status";
import { bundleLink, bundleResources, fhirGet, fhirUrl, type Bundle, type CodeableConcept, type Resource } from "../../fhir";
import { conceptText, formatDate } from "../../format";

type R = Resource & Record<string, unknown>;

interface ListSpec {
  id: string;
  title: string;
  url: string;
  empty: string;
  render: (r: R) => { main: ReactNode; detail?: ReactNode };
}

const cc = (v: unknown) => conceptText(v as CodeableConcept | undefined);
const str = (v: unknown) => (typeof v === "string" ? v : "");

function specs(patientId: string): ListSpec[] {
  const patient = `Patient/${patientId}`;
  return [
    {
      id: "conditions",
      title: "Active conditions",
      url: fhirUrl("Condition", { subject: patient, "clinical-status": "active", _count: 100, _sort: "-onset-date" }),
      empty: "No active conditions recorded.",
      render: (r) => ({
        main: cc(r.code) || "(no code)",
        detail: [str(r.onsetDateTime) && `since ${formatDate(str(r.onsetDateTime))}`, cc((r.verificationStatus as CodeableConcept) ?? undefined)].filter(Boolean).join(" · "),
      }),
    },
    {
      id: "medications",
      title: "Medications",
      url: fhirUrl("MedicationRequest", { subject: patient, _count: 100, _sort: "-authoredon" }),
      empty: "No medications recorded.",
      render: (r) => {
        const dosage = (r.dosageInstruction as { text?: string }[] | undefined)?.[0]?.text;
        return {
          main: cc(r.medicationCodeableConcept) || str((r.medicationReference as { display?: string } | undefined)?.display) || "(medication)",
          detail: [str(r.status), str(r.authoredOn) && `prescribed ${formatDate(str(r.authoredOn))}`, dosage].filter(Boolean).join(" · "),
        };
      },
    },
    {
      id: "allergies",
      title: "Allergies and intolerances",
      url: fhirUrl("AllergyIntolerance", { patient, _count: 100 }),
      empty: "No known allergies recorded.",
      render: (r) => {
        const reactions = (r.reaction as { manifestation?: CodeableConcept[]; severity?: string }[] | undefined) ?? [];
        return {
          main: cc(r.code) || "(allergy)",
          detail: [str(r.criticality) && `criticality ${str(r.criticality)}`, ...reactions.map((x) => [x.manifestation?.map(conceptText).join(", "), x.severity].filter(Boolean).join(" — "))]
            .filter(Boolean)
            .join(" · "),
        };
      },
    },
    {
      id: "immunizations",
      title: "Immunizations",
      url: fhirUrl("Immunization", { patient, _count: 100, _sort: "-date" }),
      empty: "No immunizations recorded.",
      render: (r) => ({
        main: cc(r.vaccineCode) || "(vaccine)",
        detail: [formatDate(str(r.occurrenceDateTime)), str(r.status) !== "completed" ? str(r.status) : ""].filter(Boolean).join(" · "),
      }),
    },
  ];
}

function ClinicalList({ spec }: { spec: ListSpec }) {
  const query = useQuery({ queryKey: ["fhir", spec.url], queryFn: ({ signal }) => fhirGet<Bundle<R>>(spec.url, signal) });
  const items = bundleResources(query.data);
  const more = bundleLink(query.data, "next");
  return (
    <section className="card" aria-labelledby={`${spec.id}-title`} id={spec.id}>
      <h2 id={`${spec.id}-title`}>
        {spec.title}
        {query.isSuccess && <span className="count">{items.length}{more ? "+" : ""}</span>}
      </h2>
      {query.isPending && <Loading />}
      {query.isError && <ErrorMessage title={`${spec.title} could not be loaded`} error={query.error} retry={() => void query.refetch()} />}
      {query.isSuccess && items.length === 0 && <p className="muted">{spec.empty}</p>}
      {items.length > 0 && (
        <ul className="item-list">
          {items.map((r) => {
            const { main, detail } = spec.render(r);
            return (
              <li key={`${r.resourceType}/${r.id}`}>
                <div>
                  <span className="item-main">{main}</span>
                  {detail && <span className="item-detail">{detail}</span>}
                </div>
                <JsonLink type={r.resourceType} id={r.id} />
              </li>
            );
          })}
        </ul>
      )}
      {more && <p className="muted">Showing the first {items.length}.</p>}
    </section>
  );
}

export function ClinicalLists({ patientId }: { patientId: string }) {
  return (
    <div className="card-grid">
      {specs(patientId).map((s) => (
        <ClinicalList key={s.id} spec={s} />
      ))}
    </div>
  );
}
