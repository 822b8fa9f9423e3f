#!/usr/bin/env python3
"""Builds the clinical search mix for the search benchmark from generated NDJSON (real ids, names and codes).

Usage: make-search-queries.py GENERATED_DIR OUT_FILE [VARIANTS]
Each of the 20 query shapes is written VARIANTS times with different patients/values, so caches see a spread.
"""
import collections, json, random, sys, urllib.parse

gen, out = sys.argv[1], sys.argv[2]
variants = int(sys.argv[3]) if len(sys.argv) > 3 else 5
rnd = random.Random(20261204)

def read(name, limit=200000):
    rows = []
    with open(f"{gen}/{name}.ndjson") as f:
        for i, line in enumerate(f):
            if i >= limit:
                break
            rows.append(json.loads(line))
    return rows

patients = read("Patient")
practitioners = read("Practitioner")
conditions = read("Condition", 50000)
codes = collections.Counter(c["code"]["coding"][0]["code"] for c in conditions)
common_condition = codes.most_common(1)[0][0]

def pick():
    return rnd.choice(patients)

lines = []
for _ in range(variants):
    p = pick()
    family = p["name"][0]["family"]
    given = p["name"][0]["given"][0]
    mrn = p["identifier"][0]["value"]
    pid = p["id"]
    doc = rnd.choice(practitioners)["name"][0]["family"]
    # A one- to three-month window within January-September 2025.
    start_month = rnd.randint(1, 6)
    window = rnd.randint(1, 3)
    lines += [
        f"Patient?family={family}",
        f"Patient?identifier=http://carelake.dev/fhir/mrn|{mrn}",
        f"Patient?birthdate={p['birthDate']}",
        f"Patient?family={family}&given={given}",
        f"Patient?birthdate=ge19{rnd.randint(50, 99)}&gender={p['gender']}&_count=20",
        f"Observation?patient={pid}&code=http://loinc.org|8867-4&date=ge2024-01-01&_sort=-date",
        f"Observation?subject=Patient/{pid}&category=vital-signs&_count=50",
        f"Observation?patient={pid}&code=http://loinc.org|4548-4",
        f"Encounter?date=ge2025-0{start_month}-01&date=lt2025-0{start_month + window}-01&class=IMP&_count=20",
        f"Encounter?patient={pid}",
        f"Condition?code=http://snomed.info/sct|{common_condition}&_include=Condition:subject&_count=20",
        f"Condition?patient={pid}&clinical-status=active",
        f"Observation?subject:Patient.family={family}&code=http://loinc.org|8867-4&_count=20",
        f"Observation?subject:Patient.general-practitioner:Practitioner.family={doc}&code=http://loinc.org|2339-0&_count=20",
        f"Patient?_has:Observation:patient:code=http://loinc.org|4548-4&family={family}",
        f"MedicationRequest?patient={pid}&status=active",
        f"Immunization?patient={pid}",
        f"AllergyIntolerance?patient={pid}",
        f"Procedure?patient={pid}&date=ge2020",
        f"Observation?code=http://loinc.org|2339-0&value-quantity=gt200&_count=10",
    ]

def encode(line):
    # Values are percent-encoded (system URLs contain "://", which the load driver reads as an absolute URL).
    path, _, query = line.partition("?")
    parts = []
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        parts.append(key + "=" + urllib.parse.quote(value, safe=""))
    return path + "?" + "&".join(parts)

lines = [encode(l) for l in lines]
with open(out, "w") as f:
    f.write("# Clinical search mix: 20 shapes x %d variants, values taken from the generated data\n" % variants)
    f.write("\n".join(lines) + "\n")
print(f"{len(lines)} queries written to {out}")
