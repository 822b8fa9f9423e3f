// Pure formatting helpers for FHIR data types (unit-tested in format.test.ts).
import type { CodeableConcept, Period, Quantity, Reference, Resource } from "./fhir";

export interface HumanName {
  use?: string;
  text?: string;
  family?: string;
  given?: string[];
  prefix?: string[];
  suffix?: string[];
}

/** The name to show: the official (or usual, or first) name, as text or "Given Family". */
export function humanName(names: HumanName[] | undefined): string {
  if (!names || names.length === 0) return "(no name)";
  const name = names.find((n) => n.use === "official") ?? names.find((n) => n.use === "usual") ?? names[0]!;
  if (name.text) return name.text;
  const parts = [...(name.prefix ?? []), ...(name.given ?? []), name.family ?? "", ...(name.suffix ?? [])].filter((p) => p);
  return parts.length ? parts.join(" ") : "(no name)";
}

export function conceptText(concept: CodeableConcept | undefined): string {
  if (!concept) return "";
  return concept.text ?? concept.coding?.find((c) => c.display)?.display ?? concept.coding?.[0]?.code ?? "";
}

export function conceptsText(concepts: CodeableConcept[] | undefined): string {
  return (concepts ?? []).map(conceptText).filter((t) => t).join(", ");
}

export function referenceText(reference: Reference | undefined): string {
  return reference?.display ?? reference?.reference ?? "";
}

/** FHIR dates keep their precision: "2020" stays a year, "2020-03" a month; date-times are shown in local time. */
export function formatDate(value: string | undefined): string {
  if (!value) return "";
  if (/^\d{4}$/.test(value)) return value;
  if (/^\d{4}-\d{2}$/.test(value)) {
    const [y, m] = value.split("-");
    return new Date(Date.UTC(Number(y), Number(m) - 1, 1)).toLocaleDateString("en-GB", { year: "numeric", month: "short", timeZone: "UTC" });
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split("-");
    return new Date(Date.UTC(Number(y), Number(m) - 1, Number(d))).toLocaleDateString("en-GB", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString("en-GB", { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function formatPeriod(period: Period | undefined): string {
  if (!period) return "";
  if (period.start && period.end) {
    const start = formatDate(period.start);
    const end = formatDate(period.end);
    return start === end ? start : `${start} – ${end}`;
  }
  if (period.start) return `from ${formatDate(period.start)}`;
  return period.end ? `until ${formatDate(period.end)}` : "";
}

/** Age in whole years at `now` from a FHIR date (any precision); undefined when unknown. */
export function ageInYears(birthDate: string | undefined, now: Date = new Date()): number | undefined {
  if (!birthDate || !/^\d{4}/.test(birthDate)) return undefined;
  const [y, m = "1", d = "1"] = birthDate.split("-");
  let age = now.getUTCFullYear() - Number(y);
  const monthDiff = now.getUTCMonth() + 1 - Number(m);
  if (monthDiff < 0 || (monthDiff === 0 && now.getUTCDate() < Number(d))) age--;
  return age;
}

export function formatQuantity(q: Quantity | undefined): string {
  if (!q || q.value === undefined) return "";
  const unit = q.unit ?? q.code ?? "";
  return `${formatNumber(q.value)}${unit ? ` ${unit}` : ""}`;
}

export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return Number(value.toFixed(digits)).toLocaleString("en-GB", { maximumFractionDigits: digits });
}

/** The value of an Observation (or one of its components) as text. */
export function observationValue(o: Record<string, unknown>): string {
  if (o.valueQuantity) return formatQuantity(o.valueQuantity as Quantity);
  if (o.valueCodeableConcept) return conceptText(o.valueCodeableConcept as CodeableConcept);
  if (typeof o.valueString === "string") return o.valueString;
  if (typeof o.valueBoolean === "boolean") return o.valueBoolean ? "yes" : "no";
  if (typeof o.valueInteger === "number") return String(o.valueInteger);
  if (typeof o.valueDateTime === "string") return formatDate(o.valueDateTime);
  const components = o.component as Record<string, unknown>[] | undefined;
  if (components?.length) {
    // Blood pressure reads "120/80 mmHg".
    const quantities = components.map((c) => c.valueQuantity as Quantity | undefined);
    if (quantities.every((q) => q?.value !== undefined)) {
      const units = new Set(quantities.map((q) => q!.unit ?? q!.code));
      if (units.size === 1) return `${quantities.map((q) => formatNumber(q!.value!)).join("/")} ${[...units][0] ?? ""}`.trim();
    }
    return components.map((c) => `${conceptText(c.code as CodeableConcept)}: ${observationValue(c)}`).join("; ");
  }
  const absent = o.dataAbsentReason as CodeableConcept | undefined;
  return absent ? `(${conceptText(absent)})` : "";
}

export function resourceLabel(resource: Resource): string {
  return `${resource.resourceType}/${resource.id ?? "?"}`;
}

/** "1,234" */
export function formatCount(n: number | undefined): string {
  return n === undefined ? "…" : n.toLocaleString("en-GB");
}
