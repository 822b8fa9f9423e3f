using System.Collections.Concurrent;

namespace Carelake.Import;

/// <summary>What an import did, per resource type, and why anything failed. Thread-safe: files import in parallel.</summary>
public sealed class ImportSummary
{
    private readonly ConcurrentDictionary<string, Counts> _byType = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _failures = new();

    public IReadOnlyDictionary<string, Counts> ByType => _byType;

    public IReadOnlyCollection<string> Failures => _failures;

    public long Created => _byType.Values.Sum(c => c.Created);

    public long Updated => _byType.Values.Sum(c => c.Updated);

    public long Failed => _byType.Values.Sum(c => c.Failed) + _unattributedFailures;

    private long _unattributedFailures;

    public void AddCreated(string type) => Interlocked.Increment(ref _byType.GetOrAdd(type, _ => new Counts()).CreatedField);

    public void AddUpdated(string type) => Interlocked.Increment(ref _byType.GetOrAdd(type, _ => new Counts()).UpdatedField);

    public void AddFailure(string? type, string where, string reason)
    {
        if (type is null)
        {
            Interlocked.Increment(ref _unattributedFailures);
        }
        else
        {
            Interlocked.Increment(ref _byType.GetOrAdd(type, _ => new Counts()).FailedField);
        }

        _failures.Enqueue($"{where}: {reason}");
    }

    public sealed class Counts
    {
#pragma warning disable CA1051 // Fields so Interlocked can update them; the class is a private counter cell.
        internal long CreatedField;
        internal long UpdatedField;
        internal long FailedField;
#pragma warning restore CA1051

        public long Created => Interlocked.Read(ref CreatedField);

        public long Updated => Interlocked.Read(ref UpdatedField);

        public long Failed => Interlocked.Read(ref FailedField);
    }
}
