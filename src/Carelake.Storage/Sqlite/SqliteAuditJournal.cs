using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Carelake.Core.Audit;
using Carelake.Core.Storage;
using Microsoft.Win32.SafeHandles;

namespace Carelake.Storage.Sqlite;

/// <summary>
/// The durable outbox of audit records that carry no data write (reads, searches, failures, security events): an
/// append-only journal of segment files beside the database (<c>&lt;db&gt;-audit.000001</c> …). A request's record
/// is in the journal before its response is sent; the SQLite writer then chains journaled records into
/// <c>audit_event</c> at the start of its next transaction (a data write's, or the store's once-a-second move), and a
/// segment is deleted once every record in it is chained.
/// <para>
/// Why not commit each record into the database: a COMMIT costs a WAL append and a transaction, and every commit makes
/// each reader connection drop its whole page cache at its next read (SQLite resets the pager when the WAL moved),
/// so a search mix that wrote one record per search re-read its pages on every request. A journal append is one
/// <c>write</c>, and the main file sees one commit a second.
/// </para>
/// <para>
/// Two guarantees (docs/audit.md, "The guarantee"). Without fsync (the default): the request's own thread writes its
/// frame, so the record is in the kernel — surviving a crash or kill -9 of the server — before the response; the
/// journal's thread fsyncs the segment within <see cref="FlushInterval"/> of the first unsynced write, which bounds
/// what a power loss can take. With fsync: callers queue their record and await; the journal's thread writes and
/// fsyncs everything queued as one group, then completes those callers. (Writing and fsyncing on the first caller's
/// thread, as up to 2026-12-05, blocked a thread-pool thread in every fsync: on a 2-core server half of the request
/// processing stalled for each one.)
/// </para>
/// <para>
/// Order: journaled records join the chain ahead of any write unit that commits after them, so the chain keeps the
/// order in which records were journaled. Frames are checksummed: after a power loss a torn tail is dropped.
/// </para>
/// </summary>
internal sealed class SqliteAuditJournal : IDisposable
{
    /// <summary>Without fsync per record: the longest a written record waits for the journal's fsync.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>A segment is closed once it holds this many bytes; closed segments are deleted once chained.</summary>
    private const long SegmentBytes = 4 << 20;

    private const int FrameHeader = 8;
    private readonly string _databasePath;
    private readonly bool _fsync;
    private readonly object _queueLock = new();
    private readonly Lock _fileLock = new();
    private readonly Lock _pendingLock = new();
    private readonly List<(string Path, long LastNumber)> _closed = [];
    private readonly Thread _thread;
    private List<Queued> _queue = [];
    private bool _stopping;
    private int _unsynced;
    private SafeFileHandle _segment;
    private string _segmentPath;
    private long _segmentLength;
    private int _generation;
    private long _lastNumber;
    private long _syncedThrough;
    private long _chainedThrough;
    private List<Journaled> _pending = [];
    private int _unchained;
    private bool _rotate;

    private SqliteAuditJournal(string databasePath, bool fsync, int generation)
    {
        _databasePath = databasePath;
        _fsync = fsync;
        _generation = generation;
        _segmentPath = PathOf(databasePath, generation);
        _segment = OpenSegment(_segmentPath);
        _thread = new Thread(fsync ? AppendLoop : FlushLoop) { IsBackground = true, Name = "audit-journal" };
        _thread.Start();
    }

    /// <summary>Fault injection for the guarantee's test: appends fail as a full disk would make them, without touching the file.</summary>
    internal bool FailAppendsForTest { get; set; }

    /// <summary>
    /// Records journaled whose chaining has not committed yet — including those a transaction in progress
    /// has taken: a flush must wait for that transaction too, or a reader right after it misses them.
    /// </summary>
    public int UnchainedCount
    {
        get
        {
            lock (_pendingLock)
            {
                return _unchained;
            }
        }
    }

    /// <summary>Records journaled that no transaction has taken yet (tests: the writer holds the rest).</summary>
    internal int NotTakenCountForTest
    {
        get
        {
            lock (_pendingLock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Tests: the number of the last record written, and of the last one known to be on stable storage.</summary>
    internal (long Written, long Synced) PositionsForTest
    {
        get
        {
            lock (_fileLock)
            {
                return (_lastNumber, _syncedThrough);
            }
        }
    }

    /// <summary>
    /// Opens a new segment after the ones a previous run left; <paramref name="leftOver"/> gets their records in journal
    /// order (some may already be chained: a crash between the chain's COMMIT and the segment's deletion).
    /// </summary>
    /// <param name="fsync">Whether an append waits for fsync (a record then survives a power loss) or only for the write (it survives a crash of the process; the fsync follows within <see cref="FlushInterval"/>).</param>
    public static SqliteAuditJournal Open(string databasePath, bool fsync, out IReadOnlyList<ResourceWrite> leftOver, out IReadOnlyList<string> leftOverFiles)
    {
        var segments = Segments(databasePath);
        var records = new List<ResourceWrite>();
        foreach (var (_, path) in segments)
        {
            records.AddRange(ReadSegment(path));
        }

        leftOver = records;
        leftOverFiles = [.. segments.Select(s => s.Path)];
        return new SqliteAuditJournal(databasePath, fsync, segments.Count == 0 ? 1 : segments[^1].Generation + 1);
    }

    /// <summary>How many records the journal files of a database hold (for <c>audit verify</c> on a stopped server).</summary>
    public static long CountJournaled(string databasePath) => Segments(databasePath).Sum(s => (long)ReadSegment(s.Path).Count);

    /// <summary>Completes once the record is in the journal (fsynced when configured); faults if it could not be written.</summary>
    public Task AppendAsync(ResourceWrite record)
    {
        if (!_fsync)
        {
            try
            {
                Write([record]);
            }
            catch (Exception e)
            {
                return Task.FromException(e);
            }

            if (Interlocked.Exchange(ref _unsynced, 1) == 0)
            {
                lock (_queueLock)
                {
                    Monitor.Pulse(_queueLock);
                }
            }

            return Task.CompletedTask;
        }

        var queued = new Queued(record, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_queueLock)
        {
            if (_stopping)
            {
                return Task.FromException(new ObjectDisposedException(nameof(SqliteAuditJournal)));
            }

            _queue.Add(queued);
            if (_queue.Count == 1)
            {
                Monitor.Pulse(_queueLock);
            }
        }

        return queued.Done.Task;
    }

    /// <summary>Takes the journaled records not yet chained, in journal order; give them back with <see cref="Return"/> if their transaction fails.</summary>
    public List<Journaled> TakePending()
    {
        lock (_pendingLock)
        {
            if (_pending.Count == 0)
            {
                return [];
            }

            var taken = _pending;
            _pending = [];
            return taken;
        }
    }

    public void Return(List<Journaled> taken)
    {
        if (taken.Count == 0)
        {
            return;
        }

        lock (_pendingLock)
        {
            taken.AddRange(_pending);
            _pending = taken;
        }
    }

    /// <summary>The records through <paramref name="taken"/>'s last are committed in the chain: their closed segments can go.</summary>
    public void Chained(List<Journaled> taken)
    {
        if (taken.Count == 0)
        {
            return;
        }

        lock (_pendingLock)
        {
            _unchained -= taken.Count;
        }

        lock (_fileLock)
        {
            _chainedThrough = Math.Max(_chainedThrough, taken[^1].Number);
            for (var i = _closed.Count - 1; i >= 0; i--)
            {
                if (_closed[i].LastNumber <= _chainedThrough)
                {
                    File.Delete(_closed[i].Path);
                    _closed.RemoveAt(i);
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_queueLock)
        {
            _stopping = true;
            Monitor.Pulse(_queueLock);
        }

        // The thread writes what is still queued (or fsyncs what is written) before it ends.
        _thread.Join();
        lock (_fileLock)
        {
            _segment.Dispose();
            if (_lastNumber == _chainedThrough)
            {
                // Everything was chained (a clean shutdown): no journal is left behind.
                File.Delete(_segmentPath);
            }
        }
    }

    /// <summary>With fsync: the journal's thread writes everything queued as one group, until disposed and drained.</summary>
    private void AppendLoop()
    {
        while (true)
        {
            List<Queued> group;
            lock (_queueLock)
            {
                while (_queue.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_queueLock);
                }

                if (_queue.Count == 0)
                {
                    return;
                }

                group = _queue;
                _queue = [];
            }

            try
            {
                Write([.. group.Select(q => q.Record)]);
                foreach (var item in group)
                {
                    item.Done.TrySetResult();
                }
            }
            catch (Exception e)
            {
                foreach (var item in group)
                {
                    item.Done.TrySetException(e);
                }
            }
        }
    }

    /// <summary>
    /// Without fsync: the journal's thread waits for a written record, lets the interval pass (so one fsync covers
    /// all that are written meanwhile), then fsyncs — outside the file lock, so requests keep appending while the
    /// disk works.
    /// </summary>
    private void FlushLoop()
    {
        while (true)
        {
            lock (_queueLock)
            {
                while (Volatile.Read(ref _unsynced) == 0 && !_stopping)
                {
                    Monitor.Wait(_queueLock);
                }

                if (!_stopping)
                {
                    Monitor.Wait(_queueLock, FlushInterval);
                }
            }

            Interlocked.Exchange(ref _unsynced, 0);
            SafeFileHandle segment;
            long through;
            lock (_fileLock)
            {
                segment = _segment;
                through = _lastNumber;
            }

            try
            {
                RandomAccess.FlushToDisk(segment);
                lock (_fileLock)
                {
                    _syncedThrough = Math.Max(_syncedThrough, through);
                }
            }
            catch (ObjectDisposedException)
            {
                // The segment was closed meanwhile; closing fsyncs it.
            }
            catch (IOException)
            {
                // The disk refused the fsync: what was written there may not be on it. The journal goes on in a new
                // segment, and the records stay in memory until they are chained (the chain's COMMIT is fsynced).
                lock (_fileLock)
                {
                    _rotate = true;
                }
            }

            lock (_queueLock)
            {
                if (_stopping && Volatile.Read(ref _unsynced) == 0)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Writes the records as one <c>write</c> (fsynced in the fsync mode) and hands them to the chaining, in journal order.</summary>
    private void Write(IReadOnlyList<ResourceWrite> records)
    {
        lock (_fileLock)
        {
            if (_rotate)
            {
                // A failed write may have left part of a frame: nothing may follow it in that segment (reading stops
                // at a torn frame), so the journal goes on in a new one. If that fails too, so does this append.
                CloseSegment();
                _rotate = false;
            }

            var buffer = new MemoryStream();
            var journaled = new List<Journaled>(records.Count);
            var number = _lastNumber;
            foreach (var record in records)
            {
                number++;
                Frame(buffer, number, record);
                journaled.Add(new Journaled(number, record));
            }

            try
            {
                if (FailAppendsForTest)
                {
                    throw new IOException("No space left on device (injected by a test).");
                }

                RandomAccess.Write(_segment, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), _segmentLength);
                if (_fsync)
                {
                    RandomAccess.FlushToDisk(_segment);
                }
            }
            catch
            {
                _rotate = true;
                throw;
            }

            _segmentLength += buffer.Length;
            _lastNumber = number;
            if (_fsync)
            {
                _syncedThrough = number;
            }

            // Handed to the chaining inside the file lock: the chain's order is the journal's.
            lock (_pendingLock)
            {
                _pending.AddRange(journaled);
                _unchained += journaled.Count;
            }

            if (_segmentLength >= SegmentBytes)
            {
                CloseSegment();
            }
        }
    }

    /// <summary>Closes the current segment (fsynced first; deleted once its records are chained) and opens the next.</summary>
    private void CloseSegment()
    {
        var nextPath = PathOf(_databasePath, _generation + 1);
        var next = OpenSegment(nextPath);
        try
        {
            RandomAccess.FlushToDisk(_segment);
            _syncedThrough = _lastNumber;
        }
        catch (IOException)
        {
            // Its records stay in memory until chained; the chain's COMMIT is fsynced.
        }

        _closed.Add((_segmentPath, _lastNumber));
        _segment.Dispose();
        _generation++;
        _segment = next;
        _segmentPath = nextPath;
        _segmentLength = 0;
    }

    private static SafeFileHandle OpenSegment(string path) => File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);

    private static string PathOf(string databasePath, int generation) => $"{databasePath}-audit.{generation:D6}";

    private static List<(int Generation, string Path)> Segments(string databasePath)
    {
        var full = Path.GetFullPath(databasePath);
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var prefix = Path.GetFileName(full) + "-audit.";
        return Directory.EnumerateFiles(directory, prefix + "*")
            .Select(path => (Ok: int.TryParse(Path.GetFileName(path)[prefix.Length..], out var generation), Generation: generation, Path: path))
            .Where(s => s.Ok)
            .OrderBy(s => s.Generation)
            .Select(s => (s.Generation, s.Path))
            .ToList();
    }

    /// <summary>[length][first 4 bytes of SHA-256(body)][body: number, id, recorded, keys, payload].</summary>
    private static void Frame(MemoryStream buffer, long number, ResourceWrite record)
    {
        var keys = record.Indexes.OfType<AuditKeys>().Single();
        var payload = record.Json ?? throw new InvalidOperationException("An audit record has a payload.");
        var start = buffer.Length;
        buffer.Write(new byte[FrameHeader]);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(number);
            writer.Write(record.Id);
            writer.Write(keys.Recorded);
            writer.Write(keys.Keys.Count);
            foreach (var (kind, value) in keys.Keys)
            {
                writer.Write(kind);
                writer.Write(value);
            }

            writer.Write(payload.Length);
            writer.Write(payload);
        }

        var frame = buffer.GetBuffer().AsSpan((int)start, (int)(buffer.Length - start));
        var body = frame[FrameHeader..];
        BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(body, hash);
        hash[..4].CopyTo(frame[4..]);
    }

    /// <summary>The whole frames of a segment; reading stops at the first torn or altered frame (a power loss mid-write).</summary>
    private static List<ResourceWrite> ReadSegment(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var records = new List<ResourceWrite>();
        var offset = 0;
        Span<byte> hash = stackalloc byte[32];
        while (offset + FrameHeader <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset));
            if (length <= 0 || (long)offset + FrameHeader + length > bytes.Length)
            {
                break;
            }

            var body = bytes.AsSpan(offset + FrameHeader, length);
            SHA256.HashData(body, hash);
            if (!hash[..4].SequenceEqual(bytes.AsSpan(offset + 4, 4)))
            {
                break;
            }

            if (ParseFrame(bytes, offset + FrameHeader, length) is not { } record)
            {
                break;
            }

            records.Add(record);
            offset += FrameHeader + length;
        }

        return records;
    }

    /// <summary>One frame's record; null when its body does not decode (a checksum that matched by chance).</summary>
    private static ResourceWrite? ParseFrame(byte[] bytes, int start, int length)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, start, length, writable: false), Encoding.UTF8);
            reader.ReadInt64();
            var id = reader.ReadString();
            var recorded = reader.ReadInt64();
            var count = reader.ReadInt32();
            var keys = new List<(string, string)>(Math.Min(count, 1024));
            for (var i = 0; i < count; i++)
            {
                keys.Add((reader.ReadString(), reader.ReadString()));
            }

            var payload = reader.ReadBytes(reader.ReadInt32());
            return new ResourceWrite(AuditChain.ResourceType, id, 1, 0, new DateTimeOffset(recorded, TimeSpan.Zero), "POST", payload, [new AuditKeys(recorded, keys)]);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or IOException or OverflowException)
        {
            return null;
        }
    }

    private sealed record Queued(ResourceWrite Record, TaskCompletionSource Done);
}

/// <summary>A record in the journal, with its position there.</summary>
internal sealed record Journaled(long Number, ResourceWrite Record);
