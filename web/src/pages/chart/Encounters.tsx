import { useInfiniteQuery } from "@tanstack/react-query";
import { ErrorMessage, JsonLink, Loading } from "../../components/Status";
import { bundleLink, bundleResources, fhirGet, fhirUrl, type Bundle, type CodeableConcept, type Coding, type Period, type Resource } from "../../fhir";
import { conceptsText, formatPeriod } from "../../format";

interface Encounter extends Resource {
  status?: string;
  class?: Coding;
  type?: CodeableConcept[];
  reasonCode?: CodeableConcept[];
  period?: Period;
  serviceProvider?: { display?: string };
  hospitalization?: { dischargeDisposition?: CodeableConcept };
}

const CLASS_NAMES: Record<string, string> = { AMB: "Ambulatory", EMER: "Emergency", IMP: "Inpatient", HH: "Home health", VR: "Virtual" };

/** The encounters, newest first, 25 at a time ("Show older encounters" follows the Bundle's next link). */
export function Encounters({ patientId }: { patientId: string }) {
  const first = fhirUrl("Encounter", { subject: `Patient/${patientId}`, _sort: "-date", _count: 25, _total: "accurate" });
  const query = useInfiniteQuery({
    queryKey: ["fhir-pages", first],
    queryFn: ({ pageParam, signal }) => fhirGet<Bundle<Encounter>>(pageParam, signal),
    initialPageParam: first,
    getNextPageParam: (last) => bundleLink(last, "next"),
  });
  const encounters = query.data?.pages.flatMap((b) => bundleResources(b, "Encounter")) ?? [];
  const total = query.data?.pages[0]?.total;
  return (
    <section className="card wide" aria-labelledby="enc-title" id="encounters">
      <h2 id="enc-title">
        Encounters{query.isSuccess && <span className="count">{total ?? encounters.length}</span>}
      </h2>
      {query.isPending && <Loading />}
      {query.isError && <ErrorMessage title="Encounters could not be loaded" error={query.error} retry={() => void query.refetch()} />}
      {query.isSuccess && encounters.length === 0 && <p className="muted">No encounters recorded.</p>}
      {encounters.length > 0 && (
        <ol className="timeline">
          {encounters.map((e) => {
            const cls = e.class?.code ? (CLASS_NAMES[e.class.code] ?? e.class.display ?? e.class.code) : "";
            return (
              <li key={e.id} className={`enc-${(e.class?.code ?? "other").toLowerCase()}`}>
                <div className="when">{formatPeriod(e.period)}</div>
                <div className="what">
                  <span className="item-main">
                    {cls && <span className="badge">{cls}</span>} {conceptsText(e.type) || "Encounter"}
                  </span>
                  <span className="item-detail">
                    {[conceptsText(e.reasonCode) && `Reason: ${conceptsText(e.reasonCode)}`, e.serviceProvider?.display, e.status !== "finished" ? e.status : ""].filter(Boolean).join(" · ")}
                  </span>
                </div>
                <JsonLink type="Encounter" id={e.id} />
              </li>
            );
          })}
        </ol>
      )}
      {query.hasNextPage && (
        <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage ? "Loading…" : "Show older encounters"}
        </button>
      )}
    </section>
  );
}
