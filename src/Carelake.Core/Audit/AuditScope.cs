using Carelake.Core.Storage;

namespace Carelake.Core.Audit;

/// <summary>Who acts: the authenticated principal of a request, or the operator of a CLI command.</summary>
/// <param name="Who">The user (token subject) or "anonymous/dev" in --dev mode; never a name or other PHI.</param>
/// <param name="PurposeOfUse">SMART/BALP purpose of use codes the client supplied (e.g. TREAT, ETREAT).</param>
public sealed record AuditActor(string Who, string? Role, string? ClientId, string? NetworkAddress, string? PatientContext, IReadOnlyList<string> PurposeOfUse)
{
    public const string DevUser = "anonymous/dev";

    /// <summary>A CLI command run on the data folder: the operating-system user who ran it.</summary>
    public static AuditActor Cli { get; } = new("cli:" + Environment.UserName, null, null, null, null, []);
}

/// <summary>
/// The audit context of one request. The storage decorator (<see cref="AuditingResourceStore"/>) sits below every
/// service and cannot see the HTTP request, so the request's actor flows to it with the async call chain; passing it
/// through every service signature would touch every write path for one cross-cutting concern.
/// </summary>
public sealed class AuditScope
{
    private static readonly AsyncLocal<AuditScope?> CurrentScope = new();
    private readonly List<ResourceVersion> _returned = [];
    private readonly Lazy<AuditActor> _actor;
    private int _recorded;

    /// <param name="actor">Resolved on first use: authentication runs after the scope opens, before anything is written.</param>
    public AuditScope(Func<AuditActor> actor, string subtype)
    {
        _actor = new Lazy<AuditActor>(actor);
        Subtype = subtype;
    }

    public static AuditScope? Current
    {
        get => CurrentScope.Value;
        set => CurrentScope.Value = value;
    }

    public AuditActor Actor => _actor.Value;

    /// <summary>The FHIR restful-interaction code (read, search-type, create, transaction, operation …).</summary>
    public string Subtype { get; }

    /// <summary>The operation name without '$' for subtype operation.</summary>
    public string? Operation { get; init; }

    /// <summary>How many audit records of this request committed with its writes (same transaction).</summary>
    public int Recorded => Volatile.Read(ref _recorded);

    public void NoteRecorded() => Interlocked.Increment(ref _recorded);

    /// <summary>Resources sent back to the client (read, search, history, $everything): their patients are audited.</summary>
    public void NoteReturned(IEnumerable<ResourceVersion> versions)
    {
        lock (_returned)
        {
            _returned.AddRange(versions);
        }
    }

    public IReadOnlyList<ResourceVersion> Returned()
    {
        lock (_returned)
        {
            return [.. _returned];
        }
    }
}
