namespace Carelake.Tests.SearchOracle;

/// <summary>
/// The oracle's queries, by feature. Values come from the loaded data (real LOINC, SNOMED, CVX and RxNorm codes, names
/// and dates in the Synthea bundles and the generated set); some are chosen to match nothing. Placeholders in braces
/// are filled from the data at run time (see <see cref="SearchOracle.Expand"/>); the test name is the template.
/// Values are written unescaped: the runner percent-encodes them.
/// </summary>
public static class OracleQueries
{
    /// <summary>Parameter kinds, prefixes, modifiers, OR/AND, _id, _lastUpdated, :missing, paging: what the server supports today.</summary>
    public static readonly string[] Basic =
    [
        // string: starts-with, case- and accent-insensitive; :exact; :contains
        "Patient?name=Rice",
        "Patient?name=rice",
        "Patient?family=Turcotte",
        "Patient?family=turc",
        "Patient?given=Samuel",
        "Patient?given=sam",
        "Patient?name=florez",
        "Patient?name=FLÓREZ",
        "Patient?family:exact=Flórez",
        "Patient?family:exact=Florez",
        "Patient?family:exact=turcotte",
        "Patient?family:exact=Turcotte",
        "Patient?name:contains=cott",
        "Patient?family:contains=EZ",
        "Patient?name=Mrs.",
        "Patient?name=Zzyzx",
        "Patient?phonetic=Rodr",
        "Patient?address-city=Boston",
        "Patient?address-city=spring",
        "Patient?address-city:contains=spring",
        "Patient?address-state=MA",
        "Patient?address-postalcode=021",
        "Patient?address=Massachusetts",
        "Patient?address-country=US&address-state=RI,CT",
        "Organization?name=MERCY",
        "Organization?name:exact=MERCY MEDICAL CTR",
        "Organization?name:contains=children",
        "Organization?address-city=SPRINGFIELD",
        "Practitioner?name=Dr.",
        "Practitioner?family=Towne",
        "Practitioner?address-city=worcester",
        "Location?name=Carelake General Hospital",
        "Location?name:contains=Bed 0",
        "Observation?value-string=Never smoker",
        "Observation?value-string:exact=never smoker",
        "Immunization?lot-number=LOT7",
        "ValueSet?name=OracleValueSet",

        // token: code, system|code, |code, system|; :not; :text; Identifier, CodeableConcept, Coding, code, boolean
        "Patient?gender=female",
        "Patient?gender=http://hl7.org/fhir/administrative-gender|male",
        "Patient?gender:not=male",
        "Patient?gender=other",
        "Patient?gender=|female",
        "Observation?code=http://loinc.org|8302-2",
        "Observation?code=8867-4",
        "Observation?code=http://loinc.org|8867-4,http://loinc.org|9279-1",
        "Observation?code=http://snomed.info/sct|8867-4",
        "Observation?code=|8867-4",
        "Observation?category=vital-signs",
        "Observation?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
        "Observation?category=http://terminology.hl7.org/CodeSystem/observation-category|",
        "Observation?category:not=laboratory",
        "Observation?code:text=body",
        "Observation?code:text=BODY MASS",
        "Observation?status=final&code=2708-6",
        "Observation?value-concept=http://snomed.info/sct|266919005",
        "Observation?component-code=http://loinc.org|8480-6",
        "Observation?combo-code=http://loinc.org|8462-4",
        "Condition?code=http://snomed.info/sct|444814009",
        "Condition?code:text=viral",
        "Condition?code:text=high blood",
        "Condition?code:text=tired",
        "Condition?clinical-status=active",
        "Condition?clinical-status:not=resolved",
        "Encounter?class=AMB",
        "Encounter?class=http://terminology.hl7.org/CodeSystem/v3-ActCode|EMER",
        "Encounter?type=http://snomed.info/sct|185349003",
        "Encounter?type:text=encounter for check",
        "Encounter?reason-code=72892002",
        "MedicationRequest?code=http://www.nlm.nih.gov/research/umls/rxnorm|316672",
        "MedicationRequest?status=active,completed",
        "MedicationRequest?status:not=stopped",
        "Immunization?vaccine-code=http://hl7.org/fhir/sid/cvx|140",
        "Immunization?vaccine-code:text=influenza",
        "Patient?identifier=http://hl7.org/fhir/sid/us-ssn|",
        "Patient?identifier:text=social security",
        "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|240",
        "Practitioner?identifier=240",
        "Patient?telecom=555-272-3585",
        "Patient?phone=555-457-9233",
        "Patient?email=patricia.reyes46@example.com",
        "Patient?language=urn:ietf:bcp:47|es",
        "Patient?deceased=true",
        "Patient?active=true",
        "Practitioner?active=false",
        "Organization?type=prov",
        "Location?type=ICU",
        "AllergyIntolerance?criticality=low",
        "AllergyIntolerance?category=food",
        "DiagnosticReport?code=http://loinc.org|57698-3,http://loinc.org|51990-0",
        "ImagingStudy?modality=DX",
        "Procedure?code=http://snomed.info/sct|73761001",
        "CarePlan?category=http://snomed.info/sct|53950000",
        "RiskAssessment?method=http://example.org/risk-method|score-a",

        // reference: id, Type/id, absolute URL, :Type
        "Observation?subject=Patient/{pat:Rice}",
        "Observation?subject={pat:Rice}",
        "Observation?subject:Patient={pat:Rice}",
        "Observation?patient=Patient/{pat:Rice}",
        "Condition?patient={pat:Rice},{pat:Aufderhar}",
        "Encounter?subject:Group={pat:Rice}",
        "Observation?subject={base}/Patient/{pat:Rice}",
        "Observation?subject=http://other.example.org/fhir/Patient/{pat:Rice}",
        "Observation?patient=Patient/does-not-exist",
        "Encounter?service-provider={refof:Encounter:service-provider:3}",
        "Patient?general-practitioner={refof:Patient:general-practitioner:0}",
        "Observation?encounter={refof:Observation:encounter:5}",
        "DiagnosticReport?result={refof:DiagnosticReport:result:10}",
        "Location?partof={refof:Location:partof:0}",
        "Location?organization={refof:Location:organization:0}",
        "RiskAssessment?subject={refof:RiskAssessment:subject:0}",

        // date: eq ne gt lt ge le sa eb ap with range semantics; Period; instants; time zones
        "Patient?birthdate=1980-08-31",
        "Patient?birthdate=1980",
        "Patient?birthdate=1980-08",
        "Patient?birthdate=gt2000",
        "Patient?birthdate=ge2000-02-10",
        "Patient?birthdate=lt1930",
        "Patient?birthdate=le1938-04-09",
        "Patient?birthdate=ne1915-07-03",
        "Patient?birthdate=sa2019",
        "Patient?birthdate=eb1920-04-23",
        "Patient?birthdate=ge1950&birthdate=lt1960",
        "Patient?birthdate=1915-07-03,1938-04-09",
        "Patient?birthdate=ap1980-08-31",
        "Patient?death-date=2010-01-17",
        "Patient?death-date=ge2015",
        "Observation?date=2012-09-09",
        "Observation?date=2012-09-09T22:30:06+00:00",
        "Observation?date=2012-09-09T22:30",
        "Observation?date=2012-09-09T18:30:06-04:00",
        "Observation?date=gt2025-06-01&code=8867-4",
        "Observation?date=lt1950",
        "Encounter?date=2014-02",
        "Encounter?date=ge2025-12-01",
        "Encounter?date=sa2025-12-20",
        "Encounter?date=eb1950",
        "Encounter?date=gt2016-12-10&date=lt2016-12-15",
        "Encounter?date=ne2014",
        "CarePlan?date=ge2020",
        "CarePlan?date=2002-04-18",
        "CarePlan?date=lt2002-04-19&status=active",
        "Condition?onset-date=le1960",
        "Condition?abatement-date=2012",
        "Condition?recorded-date=2021-01",
        "Condition?recorded-date=2024-03-05",
        "Immunization?date=2025",
        "MedicationRequest?authoredon=ge2021-01-01T00:00:00Z",
        "Procedure?date=2014-02-23",
        "DiagnosticReport?issued=2012-09-09",
        "Claim?created=2018-11-18",
        "RiskAssessment?date=2025-03",

        // number: precision of the search value (R4 3.1.1.4.2)
        "RiskAssessment?probability=0.5",
        "RiskAssessment?probability=0.50",
        "RiskAssessment?probability=gt0.5",
        "RiskAssessment?probability=ge0.5",
        "RiskAssessment?probability=lt0.2",
        "RiskAssessment?probability=le0.2",
        "RiskAssessment?probability=ne0.5",
        "RiskAssessment?probability=ap0.5",
        "RiskAssessment?probability=sa0.9",
        "RiskAssessment?probability=eb0.1",
        "RiskAssessment?probability=1",
        "RiskAssessment?probability=100",
        "RiskAssessment?probability=1e2",
        "RiskAssessment?probability=0.05,0.95",

        // quantity: prefixes, system|code, ||unit
        "Observation?value-quantity=gt180",
        "Observation?value-quantity=ge100||mg/dL",
        "Observation?value-quantity=lt10||kg",
        "Observation?value-quantity=98|http://unitsofmeasure.org|%",
        "Observation?value-quantity=98.0||%",
        "Observation?value-quantity=36.8||Cel",
        "Observation?value-quantity=ap80||kg",
        "Observation?value-quantity=ne98||%",
        "Observation?value-quantity=eb5||mmol/L",
        "Observation?value-quantity=sa150||mg/dL",
        "Observation?value-quantity=1e2||mg/dL",
        "Observation?value-quantity=gt40|http://example.org/other-units|kg",
        "Observation?component-value-quantity=gt140|http://unitsofmeasure.org|mm[Hg]",
        "Encounter?length=gt5||d",

        // uri: exact
        "ValueSet?url=http://example.org/fhir/ValueSet/oracle-a",
        "ValueSet?url=http://example.org/fhir/ValueSet/oracle-b",
        "ValueSet?url=urn:oid:2.16.840.1.113883.3.9999.1",

        // _id, _lastUpdated
        "Patient?_id={pat:Rice}",
        "Observation?_id={id:Observation:1},{id:Observation:2},{id:Observation:3}",
        "Observation?_id=does-not-exist",
        "Patient?_id:not={pat:Rice}",
        "Patient?_lastUpdated=gt2000-01-01",
        "Patient?_lastUpdated=lt2000",
        "Patient?_lastUpdated={today}",
        "Observation?_lastUpdated=ge{lu:Observation:0.5}",
        "Observation?_lastUpdated=lt{lu:Observation:0.25}",
        "Patient?_lastUpdated=le{lu:Patient:0.5}",
        "Encounter?_lastUpdated={lu:Encounter:0.3}",

        // :missing
        "Patient?death-date:missing=true",
        "Patient?death-date:missing=false",
        "Patient?general-practitioner:missing=true",
        "Patient?email:missing=false",
        "Patient?name:missing=true",
        "Observation?value-quantity:missing=true",
        "Observation?component-code:missing=false",
        "Observation?value-string:missing=false",
        "Encounter?location:missing=false",
        "Procedure?performer:missing=true",
        "ExplanationOfBenefit?coverage:missing=true",

        // AND and OR together
        "Observation?code=8302-2&subject={pat:Rice}",
        "Observation?category=vital-signs&category=laboratory",
        "Patient?gender=female&birthdate=lt1950&address-state=Massachusetts",
        "Condition?code=444814009,195662009&onset-date=ge2010",
        "Observation?code=http://loinc.org|2339-0&value-quantity=gt100",
        "Encounter?class=IMP,EMER&date=ge2015&date=lt2020",

        // paging: every id exactly once across the next links
        "Observation?category=vital-signs&_count=50",
        "Patient?_count=7",
        "Observation?code=8302-2&_count=13",
        "Encounter?class=AMB&_count=100",
        "Patient?gender=male&_count=1",
        "Observation?subject={pat:Rice}&_total=accurate",
        "Patient?gender=male&_total=accurate&_count=5",
    ];

    public static readonly string[] Chains =
    [
        "Observation?subject:Patient.name=Rice",
        "Observation?subject:Patient.family=Turcotte&code=8302-2",
        "Observation?patient.birthdate=lt1930&code=8302-2",
        "Observation?subject:Patient.name=Zzyzx",
        "Encounter?service-provider.name=MERCY",
        "Encounter?participant:Practitioner.family=Towne",
        "Encounter?subject.name:exact=Flórez",
        "Condition?subject:Patient.gender=male&code=444814009",
        "DiagnosticReport?result.code=http://loinc.org|2093-3",
        "Observation?encounter.class=EMER",
        "Procedure?encounter.type=185349003",
        "MedicationRequest?requester.address-city=BOSTON",
        "Immunization?patient.address-state=RI",
        "ExplanationOfBenefit?claim.created=2018",
        "Patient?general-practitioner.family=a",
        "Location?partof.name=Carelake General Hospital General Medicine",
        "Observation?encounter.service-provider.name=LOWELL",
        "Observation?encounter.subject:Patient.birthdate=1980-08-31",
        "Condition?encounter.participant:Practitioner.gender=female&code=444814009",
    ];

    public static readonly string[] Has =
    [
        "Patient?_has:Observation:patient:code=http://loinc.org|2339-0",
        "Patient?_has:Condition:patient:code=444814009",
        "Patient?_has:Condition:subject:code=38341003&gender=male",
        "Patient?_has:Immunization:patient:vaccine-code=140",
        "Patient?_has:MedicationRequest:subject:status=active",
        "Patient?_has:Condition:patient:code=000000",
        "Patient?_has:Observation:subject:value-quantity=gt300|http://unitsofmeasure.org|mg/dL",
        "Practitioner?_has:Encounter:participant:class=EMER",
        "Organization?_has:Encounter:service-provider:date=2019",
        "Encounter?_has:Condition:encounter:code=72892002",
        "Encounter?_has:Observation:encounter:code=8302-2&subject={pat:Rice}",
        "Patient?_has:Observation:patient:_has:DiagnosticReport:result:code=57698-3",
        "Patient?_has:RiskAssessment:subject:probability=gt0.5",
    ];

    public static readonly string[] Includes =
    [
        "Observation?code=8302-2&subject={pat:Rice}&_include=Observation:patient",
        "Observation?code=8302-2&_include=Observation:subject:Patient",
        "Encounter?class=EMER&_include=Encounter:service-provider&_include=Encounter:participant",
        "MedicationRequest?status=active&_include=MedicationRequest:requester",
        "DiagnosticReport?code=57698-3&subject={pat:Rice}&_include=DiagnosticReport:result",
        "Claim?patient={pat:Rice}&_include=Claim:provider",
        "Patient?_id={pat:Rice}&_revinclude=Condition:patient",
        "Patient?name=Turcotte&_revinclude=Encounter:subject",
        "Patient?family=Aufderhar&_revinclude=Observation:subject&_count=50",
        "Patient?_id={pat:Rice}&_revinclude=Encounter:patient&_revinclude:iterate=Observation:encounter",
        "Observation?code=55284-4&subject={pat:Rice}&_include=Observation:encounter&_include:iterate=Encounter:service-provider",
        "Location?name=Carelake General Hospital General Medicine Ward Bed 01&_include:iterate=Location:partof",
        "Encounter?_id={id:Encounter:7}&_include=Encounter:*",
        "Patient?_id={pat:Rice}&_revinclude=Condition:*",
    ];

    public static readonly string[] Sort =
    [
        "Patient?_sort=birthdate",
        "Patient?_sort=-birthdate",
        "Patient?_sort=family,given",
        "Patient?gender=female&_sort=-family",
        "Observation?code=8302-2&_sort=-value-quantity&_count=50",
        "Observation?code=8867-4&_sort=date,_id",
        "Observation?code=29463-7&_sort=value-quantity,-date&_count=100",
        "DiagnosticReport?subject={pat:Rice}&_sort=-date",
        "Condition?_sort=onset-date&_count=100",
        "Immunization?_sort=-date,_id",
        "Patient?_sort=-_lastUpdated",
        "MedicationRequest?status=active&_sort=authoredon",
        "Practitioner?_sort=family,_id",
        "RiskAssessment?_sort=-probability",
    ];

    public static readonly string[] Summary =
    [
        "Observation?code=8302-2&_summary=count",
        "Patient?gender=female&_summary=count",
        "Observation?_summary=count",
        "Encounter?date=2014&_summary=count",
        "Patient?_summary=true",
        "Patient?name=Rice&_summary=data",
        "Patient?_summary=text&gender=male",
        "Patient?_elements=name,gender",
        "Observation?code=8302-2&_elements=status,code&_count=100",
        "Condition?code=444814009&_total=accurate&_count=5",
    ];

    public static readonly string[] Composite =
    [
        "Observation?code-value-quantity=http://loinc.org|8302-2$gt180",
        "Observation?code-value-quantity=http://loinc.org|29463-7$lt10|http://unitsofmeasure.org|kg",
        "Observation?component-code-value-quantity=http://loinc.org|8480-6$gt140",
        "Observation?component-code-value-quantity=http://loinc.org|8462-4$lt60|http://unitsofmeasure.org|mm[Hg]",
        "Observation?code-value-concept=http://loinc.org|72166-2$http://snomed.info/sct|8517006",
        "Observation?combo-code-value-quantity=http://loinc.org|8480-6$ge150",
        "Observation?code-value-string=72166-2$Never",
        "Observation?component-code-value-quantity=http://loinc.org|8480-6$gt140,http://loinc.org|8462-4$gt95",
    ];

    /// <summary>UCUM canonical comparison: a search unit of the same dimension as the stored one converts (R4 3.1.1.4.6).</summary>
    public static readonly string[] QuantityUnits =
    [
        "Observation?value-quantity=ge100|http://unitsofmeasure.org|mg/dL",
        "Observation?value-quantity=sa150|http://unitsofmeasure.org|mg/dL",
        "Observation?value-quantity=gt1.8|http://unitsofmeasure.org|m",
        "Observation?value-quantity=lt10000|http://unitsofmeasure.org|g",
        "Observation?value-quantity=ge1|http://unitsofmeasure.org|g/L",
        "Observation?value-quantity=1800|http://unitsofmeasure.org|mm",
        "Observation?value-quantity=lt0.1|http://unitsofmeasure.org|kg",
        "Observation?value-quantity=gt3|http://unitsofmeasure.org|mg/mL",
        "Observation?component-value-quantity=gt18|http://unitsofmeasure.org|cm[Hg]",
        "Encounter?length=gt72|http://unitsofmeasure.org|h",
        "Encounter?length=ge1|http://unitsofmeasure.org|wk",
    ];

    public static readonly string[] Compartment =
    [
        "Patient/{pat:Rice}/Observation?code=8302-2",
        "Patient/{pat:Rice}/Condition",
        "Patient/{pat:Rice}/Encounter?date=ge2010",
        "Patient/{pat:Aufderhar}/MedicationRequest",
        "Patient/{pat:Harris}/Immunization",
        "Patient/{pat:Rice}/Procedure?date=lt2015",
        "Patient/{pat:Rice}/Observation?category=vital-signs&_count=10",
        "Patient/{pat:Rice}/Claim",
    ];

    /// <summary>The Resource-level meta parameters (R4 lists _tag, _profile, _security, _source for every resource).</summary>
    public static readonly string[] Meta =
    [
        "Patient?_tag=https://smarthealthit.org/tags|synthea-5-2019",
        "Observation?_tag=synthea-5-2019&code=8302-2",
        "Patient?_tag:not=synthea-5-2019",
        "Patient?_profile:missing=false",
    ];

    /// <summary>Terminology and identifier modifiers, full text, lists, canonical versions and contained resources.</summary>
    public static readonly string[] Terminology =
    [
        "Observation?code:in=http://example.org/fhir/ValueSet/oracle-vitals",
        "Observation?code:in=ValueSet/oracle-vs-vitals&subject={pat:Rice}",
        "Observation?code:not-in=http://example.org/fhir/ValueSet/oracle-vitals&category=vital-signs",
        "Condition?code:in=http://example.org/fhir/ValueSet/oracle-expanded",
        "Condition?code:not-in=http://example.org/fhir/ValueSet/oracle-expanded&clinical-status=active",
        "Immunization?vaccine-code:in=http://example.org/fhir/ValueSet/oracle-all-cvx",
        "Condition?code:below=http://example.org/fhir/CodeSystem/oracle-findings|heart",
        "Condition?code:below=http://example.org/fhir/CodeSystem/oracle-findings|disorder",
        "Condition?code:below=http://example.org/fhir/CodeSystem/oracle-findings|pain",
        "Condition?code:above=http://example.org/fhir/CodeSystem/oracle-findings|angina",
        "Condition?code:above=http://example.org/fhir/CodeSystem/oracle-findings|lung",
        "Condition?code:below=http://example.org/fhir/CodeSystem/oracle-findings|mi,http://example.org/fhir/CodeSystem/oracle-findings|lung",
        "Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|{mr:Rice}",
        "Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|SS|{mr:Rice}",
        "Observation?performer:identifier=http://hl7.org/fhir/sid/us-npi|999900001",
        "Observation?performer:identifier=999900000",
        "Condition?_content=night shift",
        "Condition?_content=oracle,tired",
        "Condition?_content=Angina&code=http://example.org/fhir/CodeSystem/oracle-findings|",
        "CarePlan?_text=antenatal",
        "CarePlan?_text=drug overdose,ANTENATAL care",
        "Patient?_text=synthea&gender=female",
        "Patient?_list=oracle-list",
        "Condition?_list=oracle-list",
        "Condition?_list=oracle-list&code=http://example.org/fhir/CodeSystem/oracle-findings|",
        "QuestionnaireResponse?questionnaire=http://example.org/fhir/Questionnaire/phq9",
        "QuestionnaireResponse?questionnaire=http://example.org/fhir/Questionnaire/phq9|2.0",
        "QuestionnaireResponse?questionnaire=http://example.org/fhir/Questionnaire/gad7|2.0",
        "Patient?family=Containedsmith",
        "Patient?family=Containedsmith&_contained=true",
        "Patient?family=Containedsmith&_contained=true&_containedType=contained",
        "Patient?family=Containedsmith&_contained=both",
        "Patient?family=Contained&gender=male&_contained=both&_containedType=contained",
        "Practitioner?family=Containeddoc&_contained=true",
        "Observation?subject:Patient.family=Containedsmith",
        "Observation?subject.gender=male&code=72166-2",
        "Observation?performer:Practitioner.family=Containeddoc",
        "Patient?_has:Observation:patient:code=http://loinc.org|8302-2&_has:Observation:patient:_has:DiagnosticReport:result:code=57698-3",
    ];

    public static TheoryData<string> Data(string[] queries)
    {
        var data = new TheoryData<string>();
        foreach (var query in queries)
        {
            data.Add(query);
        }

        return data;
    }
}
