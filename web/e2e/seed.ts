// Records the tests know by name: a patient with 5,000 observations (heart rate and glucose with a reference
// range), written through the FHIR API in one transaction.

export const KNOWN = {
  patientId: "e2e-zebrowski",
  family: "Zebrowski",
  given: "Quentin",
  mrn: "E2E-0001",
  birthDate: "1961-04-12",
  observations: 5000,
};

export async function seedKnownRecords(baseUrl: string): Promise<void> {
  const subject = { reference: `Patient/${KNOWN.patientId}` };
  const entries: unknown[] = [
    {
      resource: {
        resourceType: "Patient",
        id: KNOWN.patientId,
        identifier: [{ type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "MR" }], text: "Medical record number" }, system: "http://hospital.example.org/mrn", value: KNOWN.mrn }],
        name: [{ use: "official", family: KNOWN.family, given: [KNOWN.given] }],
        gender: "male",
        birthDate: KNOWN.birthDate,
      },
      request: { method: "PUT", url: `Patient/${KNOWN.patientId}` },
    },
    {
      resource: {
        resourceType: "Condition",
        clinicalStatus: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }] },
        code: { coding: [{ system: "http://snomed.info/sct", code: "44054006", display: "Diabetes mellitus type 2" }], text: "Diabetes mellitus type 2" },
        subject,
        onsetDateTime: "2012-05-01",
      },
      request: { method: "POST", url: "Condition" },
    },
  ];
  const start = Date.UTC(2012, 0, 1);
  const half = KNOWN.observations / 2;
  for (let i = 0; i < half; i++) {
    const when = new Date(start + i * 36 * 3600 * 1000).toISOString();
    entries.push({
      resource: {
        resourceType: "Observation",
        status: "final",
        category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }] }],
        code: { coding: [{ system: "http://loinc.org", code: "8867-4", display: "Heart rate" }], text: "Heart rate" },
        subject,
        effectiveDateTime: when,
        valueQuantity: { value: 60 + Math.round(25 * Math.abs(Math.sin(i / 40))), unit: "/min", system: "http://unitsofmeasure.org", code: "/min" },
      },
      request: { method: "POST", url: "Observation" },
    });
    entries.push({
      resource: {
        resourceType: "Observation",
        status: "final",
        category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }] }],
        code: { coding: [{ system: "http://loinc.org", code: "2339-0", display: "Glucose [Mass/volume] in Blood" }], text: "Glucose" },
        subject,
        effectiveDateTime: when,
        valueQuantity: { value: 80 + Math.round(60 * Math.abs(Math.sin(i / 90))), unit: "mg/dL", system: "http://unitsofmeasure.org", code: "mg/dL" },
        referenceRange: [{ low: { value: 70, unit: "mg/dL" }, high: { value: 99, unit: "mg/dL" } }],
      },
      request: { method: "POST", url: "Observation" },
    });
  }
  const response = await fetch(`${baseUrl}/fhir`, {
    method: "POST",
    headers: { "Content-Type": "application/fhir+json", Accept: "application/fhir+json" },
    body: JSON.stringify({ resourceType: "Bundle", type: "transaction", entry: entries }),
  });
  if (!response.ok) throw new Error(`Seeding failed: ${response.status} ${await response.text()}`);
}
