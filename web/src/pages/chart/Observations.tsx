import { useDeferredValue, useMemo } from "react";
import { useSearchParams } from "react-router-dom";
import { ErrorMessage, JsonLink, Loading } from "../../components/Status";
import { TrendChart } from "../../components/TrendChart";
import { fhirUrl } from "../../fhir";
import { formatCount, formatDate, observationValue } from "../../format";
import { effectiveTime, groupObservations, type ObservationGroup, type ObservationLike } from "../../observations";
import { useAllPages } from "../../useAllPages";

/** Only what the charts and the table need: a 5,000-observation chart downloads a fraction of the full resources. */
const ELEMENTS = "code,category,effective,value,component,referenceRange,status,dataAbsentReason";
const PAGE = 1000;
const MAX = 20_000;

const CATEGORY_TITLES: Record<ObservationGroup["category"], string> = { "vital-signs": "Vital signs", laboratory: "Laboratory", other: "Other observations" };

export function Observations({ patientId }: { patientId: string }) {
  const url = fhirUrl("Observation", { subject: `Patient/${patientId}`, _sort: "-date", _count: PAGE, _total: "accurate", _elements: ELEMENTS });
  const state = useAllPages<ObservationLike>(url, MAX);
  // Grouping thousands of observations is cheap, but let typing and scrolling win while pages stream in.
  const items = useDeferredValue(state.items);
  const groups = useMemo(() => groupObservations(items), [items]);
  const [params, setParams] = useSearchParams();
  const selectedKey = params.get("obs");
  const selected = groups.find((g) => g.key === selectedKey) ?? groups.find((g) => g.series.length > 0);

  const select = (key: string) => {
    const next = new URLSearchParams(params);
    next.set("obs", key);
    setParams(next, { replace: true, preventScrollReset: true });
  };

  const byCategory = (["vital-signs", "laboratory", "other"] as const)
    .map((c) => ({ category: c, groups: groups.filter((g) => g.category === c) }))
    .filter((c) => c.groups.length > 0);

  return (
    <section className="card wide" aria-labelledby="obs-title" id="observations">
      <h2 id="obs-title">
        Observations
        <span className="count">{formatCount(state.total ?? state.items.length)}</span>
      </h2>
      {state.loading && (
        <Loading label={state.total ? `Loading observations… ${formatCount(state.items.length)} of ${formatCount(state.total)}` : "Loading observations…"} />
      )}
      {state.error !== undefined && <ErrorMessage title="Observations could not be loaded" error={state.error} />}
      {state.truncated && <p className="notice">Showing the newest {formatCount(state.items.length)} observations.</p>}
      {!state.loading && state.error === undefined && state.items.length === 0 && <p className="muted">No observations recorded.</p>}
      {selected && (
        <div className="obs-layout">
          <div className="obs-chart">
            <TrendChart key={selected.key} title={selected.label} unit={selected.unit} series={selected.series} range={selected.range} />
            {selected.latest && (
              <p className="muted">
                Latest: {observationValue(selected.latest)} on {formatDate(selected.latest.effectiveDateTime)} <JsonLink type="Observation" id={selected.latest.id} label={`View the latest ${selected.label} observation as JSON`} />
              </p>
            )}
          </div>
          <div className="obs-list">
            {byCategory.map(({ category, groups }) => (
              <div key={category}>
                <h3>{CATEGORY_TITLES[category]}</h3>
                <ul className="measure-list" aria-label={CATEGORY_TITLES[category]}>
                  {groups.map((g) => (
                    <li key={g.key}>
                      <button type="button" className="measure" aria-pressed={g.key === selected.key} onClick={() => select(g.key)} disabled={g.series.length === 0} title={g.series.length === 0 ? "No numeric values to chart" : undefined}>
                        <span className="measure-name">{g.label}</span>
                        <span className="measure-value">{g.latest ? observationValue(g.latest) : ""}</span>
                        <span className="measure-meta">
                          {g.count} · {g.latestTime ? formatDate(new Date(g.latestTime).toISOString().slice(0, 10)) : ""}
                        </span>
                      </button>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </div>
        </div>
      )}
      {!selected && groups.length > 0 && <RecentTable items={items} />}
    </section>
  );
}

function RecentTable({ items }: { items: ObservationLike[] }) {
  const rows = items.slice(0, 50);
  return (
    <table className="compact">
      <thead>
        <tr>
          <th scope="col">Date</th>
          <th scope="col">Observation</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((o) => (
          <tr key={o.id}>
            <td>{effectiveTime(o) ? formatDate(o.effectiveDateTime) : ""}</td>
            <td>{o.code?.text ?? o.code?.coding?.[0]?.display}</td>
            <td>{observationValue(o)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
