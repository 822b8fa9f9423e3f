using Carelake.Storage.Sqlite;
using Carelake.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Task = System.Threading.Tasks.Task;

namespace Carelake.Tests.Audit;

/// <summary>Reading or signing the trail first chains what the journal holds, including records a transaction in progress has taken.</summary>
[Trait("Provider", "SqliteOnly")]
public sealed class AuditJournalFlushTests : IAsyncLifetime
{
    private readonly TestServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task The_head_waits_for_a_chaining_transaction_that_has_already_taken_the_journaled_records()
    {
        var store = (SqliteResourceStore)_server.Services.AuditStore.Inner;
        var journal = store.AuditJournal!;
        var before = await _server.Services.AuditLog.HeadAsync(CancellationToken.None);

        // Another connection holds the write lock, so the writer's chaining transaction waits in BEGIN IMMEDIATE
        // after it took the journaled record (as the once-a-second move or a data write does at any moment).
        await using var blocker = new SqliteConnection($"Data Source={Path.Combine(_server.DataDir, "carelake.db")};Pooling=False");
        await blocker.OpenAsync();
        await using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "PRAGMA busy_timeout = 30000; BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }

        (await _server.Client.GetAsync("Patient?_count=1")).Dispose();
        Assert.Equal(1, journal.UnchainedCount);
        var chaining = store.FlushAuditOutboxAsync(CancellationToken.None);
        while (journal.NotTakenCountForTest > 0)
        {
            await Task.Delay(10);
        }

        var head = _server.Services.AuditLog.HeadAsync(CancellationToken.None);
        await Task.Delay(200);
        Assert.False(head.IsCompleted, "The head was read while the journaled record was still being chained.");

        await using (var commit = blocker.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            await commit.ExecuteNonQueryAsync();
        }

        await chaining;
        Assert.Equal((before?.Seq ?? 0) + 1, (await head)!.Value.Seq);
        Assert.Equal(0, journal.UnchainedCount);
    }
}
