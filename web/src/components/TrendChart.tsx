import { useEffect, useId, useMemo, useState } from "react";
import { formatDate, formatNumber } from "../format";
import { downsample, niceScale, type Series } from "../observations";

const PAD = { left: 44, right: 12, top: 12, bottom: 30 };
const COLORS = ["#0b5cab", "#b3261e", "#1b7f3b", "#7a4bb5", "#a15c00"];
/** SVG nodes per series: beyond this the line is downsampled (min and max per bucket kept); the table has every value. */
const MAX_POINTS = 400;

export interface TrendChartProps {
  title: string;
  unit: string;
  series: Series[];
  range?: { low?: number; high?: number; text?: string };
}

/**
 * The drawing's width in CSS pixels: the SVG's coordinate system follows its box, so labels keep their size on a
 * phone instead of shrinking with a scaled viewBox.
 */
function useWidth(fallback: number): [(el: HTMLDivElement | null) => void, number] {
  const [element, setElement] = useState<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    if (!element) return;
    const measure = () => setWidth(Math.max(240, Math.round(element.clientWidth)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return [setElement, width];
}

function timeTicks(min: number, max: number, count = 5): number[] {
  if (min === max) return [min];
  const step = (max - min) / (count - 1);
  return Array.from({ length: count }, (_, i) => min + i * step);
}

/** A line chart of values over time with the reference range as a band, plus the same data as a table. */
const WINDOWS = [
  { key: "1y", label: "1 year", ms: 365.25 * 24 * 3600 * 1000 },
  { key: "5y", label: "5 years", ms: 5 * 365.25 * 24 * 3600 * 1000 },
  { key: "all", label: "All", ms: Infinity },
] as const;

export function TrendChart({ title, unit, series: allSeries, range }: TrendChartProps) {
  const [showTable, setShowTable] = useState(false);
  const [windowKey, setWindowKey] = useState<(typeof WINDOWS)[number]["key"]>("all");
  const series = useMemo(() => {
    const ms = WINDOWS.find((w) => w.key === windowKey)!.ms;
    if (!Number.isFinite(ms)) return allSeries;
    const latest = Math.max(...allSeries.flatMap((s) => s.points.map((p) => p.t)));
    return allSeries.map((s) => ({ label: s.label, points: s.points.filter((p) => p.t >= latest - ms) }));
  }, [allSeries, windowKey]);
  const id = useId();
  const [box, WIDTH] = useWidth(640);
  const HEIGHT = WIDTH < 480 ? 200 : 260;
  const { y, x0, x1, drawn, total, first, last } = useMemo(() => {
    const values = series.flatMap((s) => s.points.map((p) => p.v));
    const times = series.flatMap((s) => s.points.map((p) => p.t));
    const y = niceScale(values, [range?.low, range?.high]);
    const x0 = Math.min(...times);
    const x1 = Math.max(...times);
    const drawn = series.map((s) => ({ label: s.label, points: downsample(s.points, MAX_POINTS) }));
    const all = series.flatMap((s) => s.points);
    return { y, x0, x1, drawn, total: values.length, first: all.length ? Math.min(...times) : undefined, last: all.length ? Math.max(...times) : undefined };
  }, [series, range?.low, range?.high]);

  if (allSeries.every((s) => s.points.length === 0)) return <p className="muted">No numeric values to chart.</p>;
  const windowButtons = (
    <div className="window" role="group" aria-label="Time range">
      {WINDOWS.map((w) => (
        <button key={w.key} type="button" aria-pressed={w.key === windowKey} onClick={() => setWindowKey(w.key)}>
          {w.label}
        </button>
      ))}
    </div>
  );
  if (total === 0) {
    return (
      <figure className="chart">
        <figcaption>
          <strong>{title}</strong>
        </figcaption>
        {windowButtons}
        <p className="muted">No values in this time range.</p>
      </figure>
    );
  }

  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const sx = (t: number) => PAD.left + (x1 === x0 ? plotW / 2 : ((t - x0) / (x1 - x0)) * plotW);
  const sy = (v: number) => PAD.top + plotH - ((v - y.min) / (y.max - y.min)) * plotH;
  const bandLow = range?.low ?? y.min;
  const bandHigh = range?.high ?? y.max;
  const hasBand = range && (range.low !== undefined || range.high !== undefined);
  const summary = `${title}: ${total} values from ${formatDate(new Date(first!).toISOString())} to ${formatDate(new Date(last!).toISOString())}${
    hasBand ? `; reference range ${range.low !== undefined ? formatNumber(range.low) : "–"} to ${range.high !== undefined ? formatNumber(range.high) : "–"} ${unit}` : ""
  }.`;

  return (
    <figure className="chart" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`}>
        <strong>{title}</strong> {unit && <span className="muted">({unit})</span>}
        {hasBand && (
          <span className="range-legend">
            <span className="swatch" aria-hidden="true" /> reference range {range.low !== undefined ? formatNumber(range.low) : "–"}–{range.high !== undefined ? formatNumber(range.high) : "–"}
          </span>
        )}
      </figcaption>
      {windowButtons}
      <div ref={box} className="chart-box">
      <svg className="trend" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary} data-points={total} preserveAspectRatio="xMidYMid meet">
        {hasBand && (
          <rect className="ref-range" x={PAD.left} width={plotW} y={sy(Math.min(bandHigh, y.max))} height={Math.max(0, sy(Math.max(bandLow, y.min)) - sy(Math.min(bandHigh, y.max)))} />
        )}
        {y.ticks.map((v) => (
          <g key={v} className="tick">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={sy(v)} y2={sy(v)} />
            <text x={PAD.left - 6} y={sy(v)} dy="0.32em" textAnchor="end">
              {formatNumber(v)}
            </text>
          </g>
        ))}
        {timeTicks(x0, x1, WIDTH < 480 ? 3 : 5).map((t, i, all) => (
          <text key={t} className="tick" x={sx(t)} y={HEIGHT - PAD.bottom + 18} textAnchor={all.length === 1 ? "middle" : i === 0 ? "start" : i === all.length - 1 ? "end" : "middle"}>
            {formatDate(new Date(t).toISOString().slice(0, 10))}
          </text>
        ))}
        {drawn.map((s, i) => (
          <g key={s.label} className="series" style={{ color: COLORS[i % COLORS.length] }}>
            <polyline points={s.points.map((p) => `${sx(p.t).toFixed(1)},${sy(p.v).toFixed(1)}`).join(" ")} />
            {s.points.map((p, j) => {
              const outside = (range?.low !== undefined && p.v < range.low) || (range?.high !== undefined && p.v > range.high);
              return (
                <circle key={`${p.t}-${j}`} className={outside ? "point out-of-range" : "point"} cx={sx(p.t)} cy={sy(p.v)} r={outside ? 4 : 3}>
                  <title>{`${s.label}: ${formatNumber(p.v)} ${unit} on ${formatDate(new Date(p.t).toISOString())}${outside ? " (outside reference range)" : ""}`}</title>
                </circle>
              );
            })}
          </g>
        ))}
      </svg>
      </div>
      {series.length > 1 && (
        <ul className="legend">
          {series.map((s, i) => (
            <li key={s.label}>
              <span className="swatch" style={{ background: COLORS[i % COLORS.length] }} aria-hidden="true" />
              {s.label}
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="link-button" aria-expanded={showTable} aria-controls={`${id}-table`} onClick={() => setShowTable(!showTable)}>
        {showTable ? "Hide values" : `Show all ${total} values as a table`}
      </button>
      {showTable && (
        <div className="table-wrap" id={`${id}-table`} tabIndex={0} role="region" aria-label={`${title} values`}>
          <ValuesTable series={series} unit={unit} range={range} />
        </div>
      )}
    </figure>
  );
}

function ValuesTable({ series, unit, range }: Pick<TrendChartProps, "series" | "unit" | "range">) {
  const rows = useMemo(
    () =>
      series
        .flatMap((s) => s.points.map((p) => ({ ...p, label: s.label })))
        .sort((a, b) => b.t - a.t)
        .slice(0, 2000),
    [series],
  );
  return (
    <table className="compact">
      <thead>
        <tr>
          <th scope="col">Date</th>
          {series.length > 1 && <th scope="col">Measure</th>}
          <th scope="col">Value ({unit})</th>
          <th scope="col">Flag</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => {
          const flag = range?.low !== undefined && r.v < range.low ? "low" : range?.high !== undefined && r.v > range.high ? "high" : "";
          return (
            <tr key={`${r.t}-${i}`}>
              <td>{formatDate(new Date(r.t).toISOString())}</td>
              {series.length > 1 && <td>{r.label}</td>}
              <td>{formatNumber(r.v)}</td>
              <td>{flag}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
