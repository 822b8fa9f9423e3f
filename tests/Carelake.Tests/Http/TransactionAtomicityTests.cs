using System.Net;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Http;

/// <summary>
/// Issue F3 acceptance: a transaction with one bad entry changes nothing — the row counts of every table (resources,
/// versions, every index table, full text, contained resources) are identical before and after, whichever stage
/// finds the problem (validation, a conditional reference, a version check inside the store's commit).
/// </summary>
public sealed class TransactionAtomicityTests : IAsyncLifetime
{
    private readonly TestServer _server = new() { Configure = o => o.Validation = "core" };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    private async Task<Dictionary<string, long>> RowCountsAsync()
    {
        if (_server.ConnectionString is { } postgres)
        {
            return PostgresRowCounts(postgres);
        }

        // SQLite keeps the full-text index in a file of its own, a few milliseconds behind the writer: a _content
        // search waits until it has caught up with every commit, so its rows are counted complete.
        await _server.Client.SearchIdsAsync("Patient?_content=nothing-at-all");
        return SqliteRowCounts();
    }

    private static Dictionary<string, long> PostgresRowCounts(string connectionString)
    {
        using var connection = new Npgsql.NpgsqlConnection(connectionString + ";Pooling=false");
        connection.Open();
        var tables = new List<string>();
        using (var list = new Npgsql.NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND (tablename LIKE 'idx\\_%' OR tablename IN ('resource', 'resource_version', 'contained_resource', 'resource_text'))", connection))
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            using var count = new Npgsql.NpgsqlCommand($"SELECT COUNT(*) FROM \"{table}\"", connection);
            counts[table] = (long)count.ExecuteScalar()!;
        }

        return counts;
    }

    private Dictionary<string, long> SqliteRowCounts()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_server.DataDir, "carelake.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using (var attach = connection.CreateCommand())
        {
            attach.CommandText = "ATTACH DATABASE $path AS fts";
            attach.Parameters.AddWithValue("$path", Path.Combine(_server.DataDir, "carelake.db-text"));
            attach.ExecuteNonQuery();
        }

        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'idx_%' OR name IN ('resource', 'resource_version', 'contained_resource')) " +
                "UNION ALL SELECT name FROM fts.sqlite_master WHERE name = 'resource_text'";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            using var count = connection.CreateCommand();
            count.CommandText = $"SELECT COUNT(*) FROM \"{table}\"";
            counts[table] = (long)count.ExecuteScalar()!;
        }

        return counts;
    }

    private static Bundle Transaction(string family, Resource bad)
    {
        var patientUrn = $"urn:uuid:{Guid.NewGuid()}";
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = patientUrn,
            Resource = new Patient { Name = [new HumanName { Family = family }], Contained = [new Practitioner { Id = "gp", Name = [new HumanName { Family = "Gp" }] }], GeneralPractitioner = [new ResourceReference("#gp")] },
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" },
        });
        for (var i = 0; i < 20; i++)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"urn:uuid:{Guid.NewGuid()}",
                Resource = new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"), Subject = new ResourceReference(patientUrn), Value = new Quantity(60 + i, "/min", "http://unitsofmeasure.org") },
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Observation" },
            });
        }

        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"urn:uuid:{Guid.NewGuid()}", Resource = bad, Request = new Bundle.RequestComponent { Method = bad.Id is null ? Bundle.HTTPVerb.POST : Bundle.HTTPVerb.PUT, Url = bad.Id is null ? bad.TypeName : $"{bad.TypeName}/{bad.Id}" } });
        return bundle;
    }

    [Fact]
    public async Task A_transaction_of_five_thousand_entries_commits_whole()
    {
        var family = Fhir.Unique("Bulk");
        var bundle = Transaction(family, new Patient { Active = true });
        var patientUrn = bundle.Entry[0].FullUrl;
        while (bundle.Entry.Count < 5_000)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"urn:uuid:{Guid.NewGuid()}",
                Resource = new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"), Subject = new ResourceReference(patientUrn) },
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Observation" },
            });
        }

        using var response = await _server.Client.PostAsync(string.Empty, Fhir.JsonContent(bundle));
        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var result = await Fhir.ReadAsync<Bundle>(response);
        Assert.Equal(5_000, result.Entry.Count);
        Assert.All(result.Entry, e => Assert.StartsWith("201", e.Response!.Status, StringComparison.Ordinal));
        var patientId = Assert.Single(await _server.Client.SearchIdsAsync($"Patient?family={family}"));
        Assert.Equal(4_998, (await _server.Client.GetResourceAsync<Bundle>($"Observation?subject=Patient/{patientId}&_summary=count")).Total);
    }

    [Fact]
    public async Task Entries_that_refer_to_each_other_in_both_directions_are_linked_to_the_ids_assigned()
    {
        var patientUrn = $"urn:uuid:{Guid.NewGuid()}";
        var linkedUrn = $"urn:uuid:{Guid.NewGuid()}";
        var family = Fhir.Unique("Cycle");
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new Bundle.EntryComponent
                {
                    FullUrl = patientUrn,
                    Resource = new Patient { Name = [new HumanName { Family = family }], Link = [new Patient.LinkComponent { Other = new ResourceReference(linkedUrn), Type = Patient.LinkType.Seealso }] },
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" },
                },
                new Bundle.EntryComponent
                {
                    FullUrl = linkedUrn,
                    Resource = new Patient { Name = [new HumanName { Family = family + "Twin" }], Link = [new Patient.LinkComponent { Other = new ResourceReference(patientUrn), Type = Patient.LinkType.Seealso }] },
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" },
                },
            ],
        };

        using var response = await _server.Client.PostAsync(string.Empty, Fhir.JsonContent(bundle));
        await Fhir.ExpectStatusAsync(response, HttpStatusCode.OK);
        var ids = (await Fhir.ReadAsync<Bundle>(response)).Entry.Select(e => e.Response!.Location!.Split('/')[1]).ToList();
        var first = await _server.Client.GetResourceAsync<Patient>($"Patient/{ids[0]}");
        var second = await _server.Client.GetResourceAsync<Patient>($"Patient/{ids[1]}");
        Assert.Equal($"Patient/{ids[1]}", first.Link[0].Other.Reference);
        Assert.Equal($"Patient/{ids[0]}", second.Link[0].Other.Reference);
        Assert.Equal([ids[0]], await _server.Client.SearchIdsAsync($"Patient?link=Patient/{ids[1]}"));
    }

    [Fact]
    public async Task A_transaction_with_one_bad_entry_leaves_every_table_as_it_was()
    {
        // Some data first, so that a partial write or a leftover index row would show.
        using (var seeded = await _server.Client.PostAsync(string.Empty, Fhir.JsonContent(Transaction(Fhir.Unique("Seed"), new Patient { Active = true }))))
        {
            await Fhir.ExpectStatusAsync(seeded, HttpStatusCode.OK);
        }

        var existing = await _server.Client.CreateAsync(new Patient { Active = true });
        var before = await RowCountsAsync();
        Assert.True(before["idx_token"] > 0 && before["contained_resource"] > 0 && before["resource_text"] > 0);

        var invalid = new Encounter { Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"), Period = new Period { Start = "2020-05-02", End = "2020-05-01" } };
        var ambiguous = new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"), Subject = new ResourceReference("Patient?active=true") };
        var stale = new Patient { Id = existing.Id, Active = false };
        (Resource Bad, HttpStatusCode Status)[] cases = [(invalid, HttpStatusCode.UnprocessableEntity), (ambiguous, HttpStatusCode.PreconditionFailed)];
        foreach (var (bad, status) in cases)
        {
            using var response = await _server.Client.PostAsync(string.Empty, Fhir.JsonContent(Transaction(Fhir.Unique("Doomed"), bad)));
            await Fhir.ExpectOutcomeAsync(response, status);
            Assert.Equal(before, await RowCountsAsync());
        }

        // A version check that fails inside the store's commit, after the other 21 writes were applied in its transaction.
        var staleTransaction = Transaction(Fhir.Unique("Doomed"), stale);
        staleTransaction.Entry[^1].Request!.IfMatch = "W/\"9\"";
        using (var response = await _server.Client.PostAsync(string.Empty, Fhir.JsonContent(staleTransaction)))
        {
            await Fhir.ExpectOutcomeAsync(response, HttpStatusCode.PreconditionFailed);
        }

        Assert.Equal(before, await RowCountsAsync());
        Assert.Empty(await _server.Client.SearchIdsAsync("Patient?family=Doomed"));
    }

    [Fact]
    public async Task A_unit_whose_last_write_fails_the_stores_version_check_writes_none_of_its_writes()
    {
        // Straight to the store, so the check that fails is the one inside the commit (no earlier stage can catch it).
        var existing = await _server.Client.CreateAsync(new Patient { Active = true });
        var resources = _server.Services.Resources;
        var fresh = new List<Carelake.Core.Storage.ResourceWrite>();
        for (var i = 0; i < 50; i++)
        {
            fresh.Add(resources.PrepareWrite(new Patient { Id = $"unit-{i}", Name = [new HumanName { Family = "Unit" }] }, 1, 0, "POST"));
        }

        var stale = resources.PrepareWrite(new Patient { Id = existing.Id, Active = false }, 5, 4, "PUT");
        var before = await RowCountsAsync();

        var result = await resources.Store.CommitAsync([.. fresh, stale], CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(50, result.ConflictIndex);
        Assert.Equal(1, result.ActualVersion);
        Assert.Equal(before, await RowCountsAsync());
        Assert.Empty(await _server.Client.SearchIdsAsync("Patient?family=Unit"));

        // The same unit without the stale write commits whole.
        Assert.True((await resources.Store.CommitAsync(fresh, CancellationToken.None)).Succeeded);
        Assert.Equal(50, (await _server.Client.SearchIdsAsync("Patient?family=Unit&_count=100")).Count);
    }

    [Fact]
    [Trait("Provider", "SqliteOnly")] // PostgreSQL's writer inserts with ON CONFLICT DO NOTHING, so no database error arises there.
    public async Task A_storage_constraint_failure_in_the_middle_of_a_unit_rolls_all_of_it_back_and_surfaces_the_database_error()
    {
        // Two creates of the same new id in one unit both pass the precondition checks (neither exists yet), so the
        // second fails on the database's unique (type, id) constraint after the first and 20 others were written.
        var resources = _server.Services.Resources;
        var id = Fhir.Unique("dup");
        var writes = new List<Carelake.Core.Storage.ResourceWrite>();
        for (var i = 0; i < 20; i++)
        {
            writes.Add(resources.PrepareWrite(new Patient { Id = $"{id}-{i}", Name = [new HumanName { Family = "Constraint" }] }, 1, 0, "POST"));
        }

        writes.Add(resources.PrepareWrite(new Patient { Id = id, Name = [new HumanName { Family = "Constraint" }] }, 1, 0, "POST"));
        writes.Add(resources.PrepareWrite(new Patient { Id = id, Active = true }, 1, 0, "POST"));
        var before = await RowCountsAsync();

        var error = await Assert.ThrowsAsync<SqliteException>(() => resources.Store.CommitAsync(writes, CancellationToken.None));

        Assert.Equal(19, error.SqliteErrorCode); // SQLITE_CONSTRAINT
        Assert.Equal(2067, error.SqliteExtendedErrorCode); // SQLITE_CONSTRAINT_UNIQUE

        Assert.Equal(before, await RowCountsAsync());
        Assert.Empty(await _server.Client.SearchIdsAsync("Patient?family=Constraint"));

        // The writer is usable afterwards: the unit without the duplicate commits whole.
        Assert.True((await resources.Store.CommitAsync(writes.Take(writes.Count - 1).ToList(), CancellationToken.None)).Succeeded);
        Assert.Equal(21, (await _server.Client.SearchIdsAsync("Patient?family=Constraint&_count=100")).Count);
    }
}
