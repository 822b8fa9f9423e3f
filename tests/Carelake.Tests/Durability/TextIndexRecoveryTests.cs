using System.Net;
using System.Text;
using Carelake.Tests.Http;
using Carelake.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Durability;

/// <summary>
/// SQLite keeps the full-text index (<c>_text</c>, <c>_content</c>) in a file of its own, written by a thread of its
/// own after the resources commit. It is derived data: whatever it lacks at a start is extracted again from the
/// resources, and words of erased resources never outlive a restart.
/// </summary>
[Trait("Provider", "SqliteOnly")]
public sealed class TextIndexRecoveryTests : IDisposable
{
    private const int Patients = 30;
    private readonly TempFolder _dataDir = new("text-index-");
    private readonly string _word = "Lexeme" + Guid.NewGuid().ToString("N")[..8];
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };

    private string Database => Path.Combine(_dataDir.Path, "carelake.db");

    private string TextIndex => Path.Combine(_dataDir.Path, "carelake.db-text");

    [Fact]
    public async Task A_deleted_index_file_is_rebuilt_from_the_resources_at_the_next_start()
    {
        await SeedAndStopAsync();
        File.Delete(TextIndex);

        await using var server = await ServerProcess.StartAsync(_dataDir.Path, "--dev");
        Assert.Equal(Patients, await CountAsync(server, $"Patient?_content={_word}"));
        Assert.Equal(1, await CountAsync(server, $"Patient?_content={_word}7"));
    }

    [Fact]
    public async Task Resources_written_after_the_indexs_applied_mark_are_indexed_again_at_the_next_start()
    {
        await SeedAndStopAsync();
        // As after a crash between a commit and the index's own: the last ten resources' words and the mark are lost.
        long lastRid;
        using (var store = Open(Database))
        {
            lastRid = Scalar(store, "SELECT rid FROM resource ORDER BY rid DESC LIMIT 1 OFFSET 10");
        }

        using (var index = Open(TextIndex))
        {
            Execute(index, $"DELETE FROM resource_text WHERE rowid IN (SELECT sid FROM store.resource WHERE rid > {lastRid})");
            Execute(index, $"UPDATE text_state SET applied_rid = {lastRid}");
            Assert.Equal(Patients - 10, Scalar(index, "SELECT COUNT(*) FROM resource_text WHERE resource_text MATCH 'content : " + _word + "'"));
        }

        await using var server = await ServerProcess.StartAsync(_dataDir.Path, "--dev");
        Assert.Equal(Patients, await CountAsync(server, $"Patient?_content={_word}"));
    }

    [Fact]
    public async Task An_index_left_in_the_main_file_by_an_earlier_version_is_moved_to_its_own_file()
    {
        await SeedAndStopAsync();
        // The earlier layout: resource_text in carelake.db, no index file.
        using (var store = Open(Database))
        {
            Execute(store, "CREATE VIRTUAL TABLE resource_text USING fts5(narrative, content, tokenize = 'unicode61 remove_diacritics 2')");
            Execute(store, $"ATTACH DATABASE '{TextIndex}' AS old; INSERT INTO main.resource_text (rowid, narrative, content) SELECT rowid, narrative, content FROM old.resource_text; DETACH DATABASE old");
        }

        File.Delete(TextIndex);

        await using (var server = await ServerProcess.StartAsync(_dataDir.Path, "--dev"))
        {
            Assert.Equal(Patients, await CountAsync(server, $"Patient?_content={_word}"));
            await server.TerminateAsync();
        }

        using var moved = Open(Database);
        Assert.Equal(0, Scalar(moved, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'resource_text'"));
    }

    [Fact]
    public async Task Words_of_a_resource_erased_just_before_a_crash_are_gone_from_the_index_file_after_the_next_start()
    {
        await SeedAndStopAsync();
        // As after a crash between an erasure's commit and the index's: the resource is gone, its words and mark are not.
        long sid;
        using (var store = Open(Database))
        {
            sid = Scalar(store, "SELECT sid FROM resource WHERE type = 'Patient' ORDER BY sid LIMIT 1");
            Execute(store, $"DELETE FROM resource_version WHERE sid = {sid}; DELETE FROM resource WHERE sid = {sid}; INSERT INTO text_erased (sid, rescan_after) VALUES ({sid}, (SELECT MAX(rid) FROM resource_version))");
        }

        using (var index = Open(TextIndex))
        {
            Assert.Equal(1, Scalar(index, $"SELECT COUNT(*) FROM resource_text WHERE rowid = {sid}"));
        }

        await using (var server = await ServerProcess.StartAsync(_dataDir.Path, "--dev"))
        {
            Assert.Equal(Patients - 1, await CountAsync(server, $"Patient?_content={_word}"));
            await server.TerminateAsync();
        }

        using (var index = Open(TextIndex))
        {
            Assert.Equal(0, Scalar(index, $"SELECT COUNT(*) FROM resource_text WHERE rowid = {sid}"));
        }

        using var reopened = Open(Database);
        Assert.Equal(0, Scalar(reopened, "SELECT COUNT(*) FROM text_erased"));
    }

    [Fact]
    public async Task A_write_is_found_by_a_content_search_as_soon_as_it_is_acknowledged()
    {
        // The index lags the writer by milliseconds; searches that use it wait for it. Eight clients each create and
        // at once search for what they created, so the index is always busy with someone's write.
        await using var server = await ServerProcess.StartAsync(_dataDir.Path, "--dev");
        var misses = await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var missed = new List<string>();
            for (var i = 0; i < 25; i++)
            {
                var word = $"{_word}w{worker}n{i}";
                var body = $$"""{"resourceType":"Patient","name":[{"family":"{{word}}"}]}""";
                using var content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
                using var created = await _client.PostAsync(server.BaseUrl + "/Patient", content);
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                if (await CountAsync(server, $"Patient?_content={word}") != 1)
                {
                    missed.Add(word);
                }
            }

            return missed;
        })));
        Assert.Empty(misses.SelectMany(m => m));
    }

    [Fact]
    public async Task A_resource_reusing_the_ids_of_one_erased_before_a_crash_is_indexed_and_the_erased_words_are_not()
    {
        await SeedAndStopAsync();
        long xSid, xRid, ySid, yRid;
        await using (var server = await ServerProcess.StartAsync(_dataDir.Path, "--dev"))
        {
            // x is the newest resource, so once it is erased SQLite hands its sid and rid to the next one, y.
            var x = await CreateAsync(server, $"{_word}Erased");
            (xSid, xRid) = Ids(x);
            using (var expunge = await _client.PostAsync($"{server.BaseUrl}/Patient/{x}/$expunge", null))
            {
                Assert.Equal(HttpStatusCode.OK, expunge.StatusCode);
            }

            var y = await CreateAsync(server, $"{_word}Reused");
            (ySid, yRid) = Ids(y);
            Assert.Equal(0, await server.TerminateAsync());
        }

        Assert.Equal((xSid, xRid), (ySid, yRid));
        // As after a crash while the index was stalled: neither the erasure nor y reached it, and its mark is x's.
        using (var index = Open(TextIndex))
        {
            Execute(index, $"DELETE FROM resource_text WHERE rowid = {ySid}");
            Execute(index, $"INSERT INTO resource_text (rowid, narrative, content) VALUES ({xSid}, '', '{_word}Erased')");
            Execute(index, $"UPDATE text_state SET applied_rid = {xRid}");
        }

        await using (var restarted = await ServerProcess.StartAsync(_dataDir.Path, "--dev"))
        {
            Assert.Equal(1, await CountAsync(restarted, $"Patient?_content={_word}Reused"));
            Assert.Equal(0, await CountAsync(restarted, $"Patient?_content={_word}Erased"));
        }
    }

    [Fact]
    public async Task An_index_file_ahead_of_its_database_is_rebuilt_at_the_next_start()
    {
        await SeedAndStopAsync();
        // As when carelake.db is restored from a backup beside a newer index file: a row for a sid the database will
        // hand out next, and a mark beyond its newest version.
        long nextSid;
        using (var store = Open(Database))
        {
            nextSid = Scalar(store, "SELECT MAX(sid) + 1 FROM resource");
        }

        using (var index = Open(TextIndex))
        {
            Execute(index, $"INSERT INTO resource_text (rowid, narrative, content) VALUES ({nextSid}, '', '{_word}Ghost')");
            Execute(index, "UPDATE text_state SET applied_rid = 1000000000");
        }

        await using var server = await ServerProcess.StartAsync(_dataDir.Path, "--dev");
        await CreateAsync(server, $"{_word}Next");
        Assert.Equal(1, await CountAsync(server, $"Patient?_content={_word}Next"));
        Assert.Equal(0, await CountAsync(server, $"Patient?_content={_word}Ghost"));
        Assert.Equal(Patients, await CountAsync(server, $"Patient?_content={_word}"));
    }

    private async Task<string> CreateAsync(ServerProcess server, string family)
    {
        var body = $$"""{"resourceType":"Patient","name":[{"family":"{{family}}"}]}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
        using var response = await _client.PostAsync(server.BaseUrl + "/Patient", content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Carelake.Tests.Http.Fhir.ReadAsync<Patient>(response)).Id!;
    }

    private (long Sid, long Rid) Ids(string patientId)
    {
        using var store = new SqliteConnection($"Data Source={Database};Mode=ReadOnly;Pooling=False");
        store.Open();
        using var command = store.CreateCommand();
        command.CommandText = $"SELECT sid, rid FROM resource WHERE type = 'Patient' AND id = '{patientId}'";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Creates the patients (each with the shared word and a numbered one), then stops the server in order.</summary>
    private async Task SeedAndStopAsync()
    {
        await using var server = await ServerProcess.StartAsync(_dataDir.Path, "--dev");
        for (var i = 0; i < Patients; i++)
        {
            var body = $$"""{"resourceType":"Patient","name":[{"family":"{{_word}}","given":["{{_word}}{{i}}"]}]}""";
            using var content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
            using var response = await _client.PostAsync(server.BaseUrl + "/Patient", content);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        Assert.Equal(Patients, await CountAsync(server, $"Patient?_content={_word}"));
        Assert.Equal(0, await server.TerminateAsync());
    }

    private async Task<int> CountAsync(ServerProcess server, string query)
    {
        using var response = await _client.GetAsync($"{server.BaseUrl}/{query}&_summary=count");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = await Carelake.Tests.Http.Fhir.ReadAsync<Bundle>(response);
        return bundle.Total ?? -1;
    }

    private SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        if (path == TextIndex)
        {
            using var attach = connection.CreateCommand();
            attach.CommandText = $"ATTACH DATABASE '{Database}' AS store";
            attach.ExecuteNonQuery();
        }

        return connection;
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _client.Dispose();
        _dataDir.Dispose();
    }
}

/// <summary>An index file that cannot be written stops the index, not the server: full-text searches say so (503).</summary>
[Trait("Provider", "SqliteOnly")]
public sealed class TextIndexFailureTests : IAsyncLifetime
{
    private readonly TestServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task A_full_index_file_answers_full_text_searches_503_while_reads_writes_and_other_searches_go_on()
    {
        var word = "Unindexed" + Guid.NewGuid().ToString("N")[..8];
        var store = (Carelake.Storage.Sqlite.SqliteResourceStore)_server.Services.AuditStore.Inner;
        store.TextIndex!.FullForTest = true;

        // Enough text that the index file must grow: it cannot, retries for about ten seconds, then stops.
        var created = await _server.Client.CreateAsync(new Patient { Name = [new HumanName { Family = word, Given = Enumerable.Range(0, 400).Select(i => $"{word}{i}") }] });
        using (var search = await _server.Client.GetAsync($"Patient?_content={word}"))
        {
            var outcome = await Carelake.Tests.Http.Fhir.ExpectOutcomeAsync(search, HttpStatusCode.ServiceUnavailable);
            Assert.Contains("full-text index", outcome.Issue[0].Diagnostics, StringComparison.Ordinal);
        }

        Assert.Equal([created.Id!], await _server.Client.SearchIdsAsync($"Patient?family={word}"));
        var another = await _server.Client.CreateAsync(new Patient { Name = [new HumanName { Family = word }] });
        Assert.Equal(word, (await _server.Client.GetResourceAsync<Patient>($"Patient/{another.Id}")).Name[0].Family);
    }
}
