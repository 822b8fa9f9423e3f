using System.Net;
using System.Text;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>PATCH with JSON Patch (RFC 6902) and FHIRPath Patch (Parameters), issue F3.</summary>
public sealed class PatchTests(TestServer server) : IClassFixture<TestServer>
{
    private HttpClient Client => server.Client;

    private Task<Patient> CreatePatientAsync() => Client.CreateAsync(new Patient
    {
        Name = [new HumanName { Family = "Patchy", Given = ["Ann"] }, new HumanName { Family = "Maiden", Use = HumanName.NameUse.Maiden }],
        BirthDate = "1970-01-01",
        Gender = AdministrativeGender.Female,
        Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Home, "555-0100"), new ContactPoint(ContactPoint.ContactPointSystem.Email, null, "ann@example.org")],
    });

    private Task<HttpResponseMessage> JsonPatchAsync(string url, string patch, params (string, string)[] headers) =>
        Client.SendAsync(HttpMethod.Patch, url, new StringContent(patch, Encoding.UTF8, "application/json-patch+json"), headers);

    private Task<HttpResponseMessage> FhirPathPatchAsync(string url, Parameters patch, params (string, string)[] headers) =>
        Client.SendAsync(HttpMethod.Patch, url, Fhir.JsonContent(patch), headers);

    private static Parameters.ParameterComponent Operation(string type, string path, params (string Name, DataType Value)[] parts)
    {
        var operation = new Parameters.ParameterComponent { Name = "operation" };
        operation.Part.Add(new Parameters.ParameterComponent { Name = "type", Value = new Code(type) });
        operation.Part.Add(new Parameters.ParameterComponent { Name = "path", Value = new FhirString(path) });
        foreach (var (name, value) in parts)
        {
            operation.Part.Add(new Parameters.ParameterComponent { Name = name, Value = value });
        }

        return operation;
    }

    [Fact]
    public async Task Json_patch_applies_every_operation_in_order_and_creates_a_new_version()
    {
        var patient = await CreatePatientAsync();
        const string patch = """
            [
              { "op": "test", "path": "/birthDate", "value": "1970-01-01" },
              { "op": "replace", "path": "/birthDate", "value": "1971-02-03" },
              { "op": "add", "path": "/name/0/given/-", "value": "Beth" },
              { "op": "remove", "path": "/telecom/1" },
              { "op": "copy", "from": "/name/0/family", "path": "/name/1/text" },
              { "op": "move", "from": "/name/1", "path": "/name/0" },
              { "op": "add", "path": "/active", "value": true }
            ]
            """;

        using var response = await JsonPatchAsync($"Patient/{patient.Id}", patch, ("If-Match", "W/\"1\""));
        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var patched = await Fhir.ReadAsync<Patient>(response);

        Assert.Equal("2", patched.Meta!.VersionId);
        Assert.Equal("1971-02-03", patched.BirthDate);
        Assert.Equal(["Maiden", "Patchy"], patched.Name.Select(n => n.Family).ToList());
        Assert.Equal(["Ann", "Beth"], patched.Name[1].Given.ToList());
        Assert.Equal("Patchy", patched.Name[0].Text);
        Assert.Single(patched.Telecom);
        Assert.True(patched.Active);
        Assert.Single(await Client.SearchIdsAsync($"Patient?_id={patient.Id}&birthdate=1971-02-03&given=Beth"));

        var history = await Client.GetResourceAsync<Bundle>($"Patient/{patient.Id}/_history");
        Assert.Equal(Bundle.HTTPVerb.PATCH, history.Entry[0].Request!.Method);
    }

    [Fact]
    public async Task A_json_patch_that_fails_anywhere_changes_nothing()
    {
        var patient = await CreatePatientAsync();
        (string Patch, HttpStatusCode Status)[] cases =
        [
            ("""[{ "op": "replace", "path": "/birthDate", "value": "1999-09-09" }, { "op": "test", "path": "/gender", "value": "male" }]""", HttpStatusCode.UnprocessableEntity),
            ("""[{ "op": "remove", "path": "/deceasedBoolean" }]""", HttpStatusCode.UnprocessableEntity),
            ("""[{ "op": "add", "path": "/name/7/given/-", "value": "x" }]""", HttpStatusCode.UnprocessableEntity),
            ("""[{ "op": "replace", "path": "/gender", "value": "banana" }]""", HttpStatusCode.UnprocessableEntity),
            ("""[{ "op": "replace", "path": "/id", "value": "someone-else" }]""", HttpStatusCode.UnprocessableEntity),
            ("""[{ "op": "add", "path": "/colour", "value": "blue" }]""", HttpStatusCode.UnprocessableEntity),
            ("""[{ "op": "frobnicate", "path": "/gender" }]""", HttpStatusCode.BadRequest),
            ("""{ "op": "replace" }""", HttpStatusCode.BadRequest),
            ("""[{ "op": "replace", "path": "gender", "value": "male" }]""", HttpStatusCode.BadRequest),
        ];

        foreach (var (patch, status) in cases)
        {
            using var response = await JsonPatchAsync($"Patient/{patient.Id}", patch);
            await Fhir.ExpectOutcomeAsync(response, status);
        }

        using var stale = await JsonPatchAsync($"Patient/{patient.Id}", """[{ "op": "replace", "path": "/gender", "value": "male" }]""", ("If-Match", "W/\"7\""));
        await Fhir.ExpectOutcomeAsync(stale, HttpStatusCode.PreconditionFailed);
        using var missing = await JsonPatchAsync($"Patient/{Fhir.NewId()}", """[{ "op": "replace", "path": "/gender", "value": "male" }]""");
        await Fhir.ExpectOutcomeAsync(missing, HttpStatusCode.NotFound);

        var current = await Client.GetResourceAsync<Patient>($"Patient/{patient.Id}");
        Assert.Equal(("1", "1970-01-01", AdministrativeGender.Female), (current.Meta!.VersionId, current.BirthDate, current.Gender));
    }

    [Fact]
    public async Task Fhirpath_patch_adds_inserts_replaces_deletes_and_moves()
    {
        var patient = await CreatePatientAsync();
        var patch = new Parameters
        {
            Parameter =
            [
                Operation("replace", "Patient.birthDate", ("value", new Date("1972-03-04"))),
                Operation("add", "Patient.name.where(family = 'Patchy')", ("name", new FhirString("given")), ("value", new FhirString("Cleo"))),
                Operation("insert", "Patient.identifier", ("value", new Identifier("http://example.org/mrn", "first")), ("index", new Integer(0))),
                Operation("delete", "Patient.telecom.where(system = 'phone')"),
                Operation("move", "Patient.name", ("source", new Integer(1)), ("destination", new Integer(0))),
                Operation("add", "Patient", ("name", new FhirString("deceased")), ("value", new FhirBoolean(false))),
                Operation("delete", "Patient.photo"),
            ],
        };

        // insert needs an existing list: give the patient one identifier first.
        patient.Identifier = [new Identifier("http://example.org/mrn", "second")];
        patient = await Client.PutAsync(patient);

        using var response = await FhirPathPatchAsync($"Patient/{patient.Id}", patch);
        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var patched = await Fhir.ReadAsync<Patient>(response);

        Assert.Equal("1972-03-04", patched.BirthDate);
        Assert.Equal(["Maiden", "Patchy"], patched.Name.Select(n => n.Family).ToList());
        Assert.Equal(["Ann", "Cleo"], patched.Name[1].Given.ToList());
        Assert.Equal(["first", "second"], patched.Identifier.Select(i => i.Value).ToList());
        Assert.Equal([ContactPoint.ContactPointSystem.Email], patched.Telecom.Select(t => t.System!.Value).ToList());
        Assert.Equal(new FhirBoolean(false), patched.Deceased, new Comparer());
    }

    [Fact]
    public async Task Fhirpath_patch_replaces_a_choice_with_another_type_and_refuses_what_does_not_apply()
    {
        var observation = await Client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Value = new Quantity(72, "/min", "http://unitsofmeasure.org"),
        });

        var toString = new Parameters { Parameter = [Operation("replace", "Observation.value", ("value", new FhirString("regular")))] };
        using (var response = await FhirPathPatchAsync($"Observation/{observation.Id}", toString))
        {
            await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
            Assert.Equal("regular", Assert.IsType<FhirString>((await Fhir.ReadAsync<Observation>(response)).Value).Value);
        }

        (Parameters Patch, HttpStatusCode Status)[] cases =
        [
            (new Parameters { Parameter = [Operation("replace", "Observation.code.coding.code | Observation.status", ("value", new Code("x")))] }, HttpStatusCode.UnprocessableEntity),
            (new Parameters { Parameter = [Operation("add", "Observation", ("name", new FhirString("status")), ("value", new Code("amended")))] }, HttpStatusCode.UnprocessableEntity),
            (new Parameters { Parameter = [Operation("add", "Observation", ("name", new FhirString("colour")), ("value", new FhirString("blue")))] }, HttpStatusCode.UnprocessableEntity),
            (new Parameters { Parameter = [Operation("replace", "Observation.status", ("value", new Code("banana")))] }, HttpStatusCode.UnprocessableEntity),
            (new Parameters { Parameter = [Operation("explode", "Observation.status")] }, HttpStatusCode.BadRequest),
            (new Parameters { Parameter = [new Parameters.ParameterComponent { Name = "op", Value = new FhirString("x") }] }, HttpStatusCode.BadRequest),
        ];
        foreach (var (patch, status) in cases)
        {
            using var response = await FhirPathPatchAsync($"Observation/{observation.Id}", patch);
            await Fhir.ExpectOutcomeAsync(response, status);
        }

        using var notParameters = await Client.SendAsync(HttpMethod.Patch, $"Observation/{observation.Id}", Fhir.JsonContent(new Patient { Active = true }));
        await Fhir.ExpectOutcomeAsync(notParameters, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("2", (await Client.GetResourceAsync<Observation>($"Observation/{observation.Id}")).Meta!.VersionId);
    }

    [Fact]
    public async Task Fhirpath_patch_adds_a_backbone_element_given_as_parts()
    {
        var patient = await CreatePatientAsync();
        var contact = Operation("add", "Patient", ("name", new FhirString("contact")));
        var value = new Parameters.ParameterComponent { Name = "value" };
        value.Part.Add(new Parameters.ParameterComponent { Name = "name", Value = new HumanName { Family = "Next-of-kin" } });
        value.Part.Add(new Parameters.ParameterComponent { Name = "telecom", Value = new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "555-0199") });
        value.Part.Add(new Parameters.ParameterComponent { Name = "telecom", Value = new ContactPoint(ContactPoint.ContactPointSystem.Email, null, "kin@example.org") });
        contact.Part.Add(value);

        using var response = await FhirPathPatchAsync($"Patient/{patient.Id}", new Parameters { Parameter = [contact] });
        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var patched = await Fhir.ReadAsync<Patient>(response);
        var added = Assert.Single(patched.Contact);
        Assert.Equal("Next-of-kin", added.Name!.Family);
        Assert.Equal(["555-0199", "kin@example.org"], added.Telecom.Select(t => t.Value).ToList());

        var bad = Operation("add", "Patient", ("name", new FhirString("contact")));
        var badValue = new Parameters.ParameterComponent { Name = "value" };
        badValue.Part.Add(new Parameters.ParameterComponent { Name = "shoeSize", Value = new FhirString("42") });
        bad.Part.Add(badValue);
        using var refused = await FhirPathPatchAsync($"Patient/{patient.Id}", new Parameters { Parameter = [bad] });
        await Fhir.ExpectOutcomeAsync(refused, HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Patch_entries_in_a_transaction_apply_with_the_rest_or_not_at_all()
    {
        var patient = await CreatePatientAsync();
        var jsonPatch = new Binary { ContentType = "application/json-patch+json", Data = Encoding.UTF8.GetBytes("""[{ "op": "replace", "path": "/birthDate", "value": "1980-05-06" }]""") };
        var fhirPathPatch = new Parameters { Parameter = [Operation("replace", "Patient.gender", ("value", new Code("other")))] };
        Bundle Transaction(Resource patch, string extraFamily) => new()
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new Bundle.EntryComponent { Resource = patch, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PATCH, Url = $"Patient/{patient.Id}" } },
                new Bundle.EntryComponent
                {
                    FullUrl = $"urn:uuid:{Guid.NewGuid()}",
                    Resource = new Patient { Name = [new HumanName { Family = extraFamily }] },
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" },
                },
            ],
        };

        using (var first = await Client.PostAsync(string.Empty, Fhir.JsonContent(Transaction(jsonPatch, Fhir.Unique("TxPatch")))))
        {
            await Fhir.ExpectStatusAsync(first, HttpStatusCode.OK);
        }

        using (var second = await Client.PostAsync(string.Empty, Fhir.JsonContent(Transaction(fhirPathPatch, Fhir.Unique("TxPatch")))))
        {
            await Fhir.ExpectStatusAsync(second, HttpStatusCode.OK);
        }

        var afterBoth = await Client.GetResourceAsync<Patient>($"Patient/{patient.Id}");
        Assert.Equal(("3", "1980-05-06", AdministrativeGender.Other), (afterBoth.Meta!.VersionId, afterBoth.BirthDate, afterBoth.Gender));

        var doomedFamily = Fhir.Unique("Doomed");
        var failing = new Parameters { Parameter = [Operation("replace", "Patient.deceased", ("value", new FhirBoolean(true)))] };
        using var failed = await Client.PostAsync(string.Empty, Fhir.JsonContent(Transaction(failing, doomedFamily)));
        await Fhir.ExpectOutcomeAsync(failed, HttpStatusCode.UnprocessableEntity);
        Assert.Empty(await Client.SearchIdsAsync($"Patient?family={doomedFamily}"));
        Assert.Equal("3", (await Client.GetResourceAsync<Patient>($"Patient/{patient.Id}")).Meta!.VersionId);
    }

    private sealed class Comparer : IEqualityComparer<DataType?>
    {
        public bool Equals(DataType? x, DataType? y) => x is not null && y is not null && x.IsExactly(y);

        public int GetHashCode(DataType obj) => 0;
    }
}
