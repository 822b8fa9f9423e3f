using Carelake.Core.Audit;
using Carelake.Storage.Sqlite;
using Carelake.Tests.Infrastructure;

namespace Carelake.Tests.Audit;

/// <summary>The read-record journal's files: what a restart reads back from them, torn or altered tails included.</summary>
public sealed class AuditJournalFileTests : IDisposable
{
    private readonly TempFolder _dir = new("journal-");

    private string Database => Path.Combine(_dir.Path, "carelake.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Unchained_records_are_read_back_in_order_after_a_restart()
    {
        var ids = await JournalAsync(5);

        using var reopened = SqliteAuditJournal.Open(Database, fsync: true, out var leftOver, out var files);

        Assert.Equal(ids, leftOver.Select(r => r.Id));
        Assert.Equal(5, SqliteResourceStore.JournaledAuditRecords(Database));
        Assert.Single(files);
        var first = leftOver[0].Indexes.OfType<AuditKeys>().Single();
        Assert.Contains(("subtype", "read"), first.Keys);
    }

    [Theory]
    [InlineData("torn")]
    [InlineData("altered")]
    public async Task Reading_stops_at_a_torn_or_altered_frame(string damage)
    {
        var ids = await JournalAsync(3);
        var file = Directory.GetFiles(_dir.Path, "carelake.db-audit.*").Single();
        var bytes = File.ReadAllBytes(file);
        if (damage == "torn")
        {
            // A power loss during the last write: only part of its frame reached the disk.
            File.WriteAllBytes(file, bytes[..^40]);
        }
        else
        {
            bytes[^10] ^= 0x55;
            File.WriteAllBytes(file, bytes);
        }

        using var reopened = SqliteAuditJournal.Open(Database, fsync: true, out var leftOver, out _);

        Assert.Equal(ids[..2], leftOver.Select(r => r.Id));
    }

    [Fact]
    public async Task Without_fsync_per_record_a_record_is_in_the_file_when_its_append_completes_and_fsynced_soon_after()
    {
        Directory.CreateDirectory(_dir.Path);
        using var journal = SqliteAuditJournal.Open(Database, fsync: false, out _, out _);

        await journal.AppendAsync(Record());
        await journal.AppendAsync(Record());

        // In the file (the kernel's page cache) before the response: a crash of the process cannot take it.
        Assert.Equal(2, SqliteResourceStore.JournaledAuditRecords(Database));
        Assert.Equal(2, journal.PositionsForTest.Written);
        // The journal's thread fsyncs it without another append to prompt it (within 100 ms; the test allows 30 s).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (journal.PositionsForTest.Synced < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(2, journal.PositionsForTest.Synced);
    }

    [Fact]
    public async Task With_fsync_per_record_a_record_is_fsynced_when_its_append_completes()
    {
        Directory.CreateDirectory(_dir.Path);
        using var journal = SqliteAuditJournal.Open(Database, fsync: true, out _, out _);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => journal.AppendAsync(Record())));

        Assert.Equal((20L, 20L), journal.PositionsForTest);
        Assert.Equal(20, SqliteResourceStore.JournaledAuditRecords(Database));
    }

    [Fact]
    public async Task A_journal_whose_records_were_all_chained_leaves_no_file_behind()
    {
        Directory.CreateDirectory(_dir.Path);
        var journal = SqliteAuditJournal.Open(Database, fsync: false, out _, out _);
        await journal.AppendAsync(Record());
        journal.Chained(journal.TakePending());
        journal.Dispose();

        Assert.Empty(Directory.GetFiles(_dir.Path, "carelake.db-audit.*"));
    }

    private async Task<string[]> JournalAsync(int count)
    {
        Directory.CreateDirectory(_dir.Path);
        var journal = SqliteAuditJournal.Open(Database, fsync: false, out _, out _);
        var records = Enumerable.Range(0, count).Select(_ => Record()).ToList();
        foreach (var record in records)
        {
            await journal.AppendAsync(record);
        }

        journal.Dispose(); // not chained: the file stays, as after a crash
        return [.. records.Select(r => r.Id)];
    }

    private static Carelake.Core.Storage.ResourceWrite Record() => AuditRecords.ToWrite(AuditRecords.Rest(
        new AuditActor("user-1", "clinician", null, "127.0.0.1", null, []), "read", null, 200, DateTimeOffset.UtcNow, ["Patient/p1/_history/1"], ["p1"], null));
}
