using Carelake.Core.Search;

namespace Carelake.Core.Security;

/// <summary>How one interaction on one type may proceed: denied, or allowed within the patient compartment and/or a v2 query restriction.</summary>
/// <param name="Compartment">Only resources in the Patient compartment of <see cref="AccessContext.PatientId"/>.</param>
/// <param name="Restriction">Search parameters every resource touched must match (SMART v2 <c>…rs?category=laboratory</c>).</param>
public sealed record AccessDecision(bool Allowed, bool Compartment, IReadOnlyList<KeyValuePair<string, string>> Restriction)
{
    public static AccessDecision Denied { get; } = new(false, false, []);

    public static AccessDecision Full { get; } = new(true, false, []);

    public bool IsFull => Allowed && !Compartment && Restriction.Count == 0;
}

/// <summary>
/// Who is calling and what the token lets them do: the SMART resource scopes, the patient in context, the role.
/// Built once per request from the validated token; <see cref="Unrestricted"/> in --dev mode.
/// </summary>
public sealed class AccessContext
{
    private readonly Dictionary<(string, SmartInteractions), AccessDecision> _decisions = [];

    public AccessContext(IReadOnlyList<SmartScope> scopes, string? patientId, string? role, string? subject, string? clientId)
    {
        Scopes = scopes;
        PatientId = patientId;
        Role = role;
        Subject = subject;
        ClientId = clientId;
    }

    /// <summary>--dev mode or the configured administrator token: every interaction on every resource.</summary>
    public static AccessContext Unrestricted { get; } = new([], null, Roles.Administrator, null, null) { IsUnrestricted = true };

    public bool IsUnrestricted { get; private init; }

    public IReadOnlyList<SmartScope> Scopes { get; }

    /// <summary>The patient in context (SMART <c>launch/patient</c>, or the patient a patient user is linked to).</summary>
    public string? PatientId { get; }

    public string? Role { get; }

    public string? Subject { get; }

    public string? ClientId { get; }

    public bool IsAdministrator => IsUnrestricted || Role == Roles.Administrator;

    /// <summary>Set by the host when the subject has an active break-glass grant (checked lazily, only when a restricted resource is met).</summary>
    public Func<CancellationToken, Task<bool>>? BreakGlass { get; init; }

    public static AccessContext FromScopes(string scopeText, string? patientId, string? role, string? subject, string? clientId) =>
        new(scopeText.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(SmartScope.TryParse).OfType<SmartScope>().ToList(), patientId, role, subject, clientId);

    /// <summary>
    /// The widest allowance for <paramref name="interaction"/> on <paramref name="type"/>, preferring grants that are not
    /// bound to the patient compartment. When several restricted grants apply they are OR-ed when they restrict the same
    /// single parameter, otherwise the first is used: the result may be narrower than the token allows, never wider.
    /// </summary>
    public AccessDecision Decide(string type, SmartInteractions interaction)
    {
        if (IsUnrestricted)
        {
            return AccessDecision.Full;
        }

        lock (_decisions)
        {
            if (_decisions.TryGetValue((type, interaction), out var cached))
            {
                return cached;
            }

            var decision = Compute(type, interaction);
            _decisions[(type, interaction)] = decision;
            return decision;
        }
    }

    /// <summary>Whether the token may read every resource of every type (system-level history and search without _type).</summary>
    public bool CanReadEverything(SmartInteractions interaction) =>
        IsUnrestricted || Scopes.Any(s => s.AnyType && !s.IsRestricted && s.Interactions.HasFlag(interaction) && s.Context != SmartContext.Patient);

    private AccessDecision Compute(string type, SmartInteractions interaction)
    {
        var grants = Scopes.Where(s => s.Covers(type) && s.Interactions.HasFlag(interaction)).ToList();
        var inCompartment = type == "Patient" || CompartmentDefinitions.Standard.Value.ParametersFor("Patient", type).Count > 0;
        // A patient scope without a patient in context grants nothing; for types outside the Patient compartment
        // (Practitioner, Organization, Medication …) it grants access like a user scope.
        var open = grants.Where(g => g.Context != SmartContext.Patient || !inCompartment).ToList();
        var bound = PatientId is null ? [] : grants.Where(g => g.Context == SmartContext.Patient && inCompartment).ToList();
        if (open.Count > 0)
        {
            return open.Any(g => !g.IsRestricted) ? AccessDecision.Full : new AccessDecision(true, false, Combine(open));
        }

        if (bound.Count > 0)
        {
            return new AccessDecision(true, true, bound.Any(g => !g.IsRestricted) ? [] : Combine(bound));
        }

        return AccessDecision.Denied;
    }

    private static IReadOnlyList<KeyValuePair<string, string>> Combine(List<SmartScope> restricted)
    {
        if (restricted.Count > 1 && restricted.All(g => g.Query.Count == 1 && g.Query[0].Key == restricted[0].Query[0].Key))
        {
            return [new(restricted[0].Query[0].Key, string.Join(',', restricted.Select(g => g.Query[0].Value).Distinct(StringComparer.Ordinal)))];
        }

        return restricted[0].Query;
    }
}

/// <summary>The roles of Carelake users; each has a ceiling of SMART scopes (see docs/security.md).</summary>
public static class Roles
{
    public const string Administrator = "administrator";
    public const string Clinician = "clinician";
    public const string Analyst = "analyst";
    public const string Patient = "patient";
    public const string Service = "service";

    /// <summary>Reserved for the audit trail (issue S2): reads AuditEvents, nothing clinical.</summary>
    public const string Auditor = "auditor";

    public static IReadOnlyList<string> All { get; } = [Administrator, Clinician, Analyst, Patient, Service, Auditor];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);

    /// <summary>The widest resource scopes a user of the role may be granted (requested scopes are narrowed to these).</summary>
    public static IReadOnlyList<SmartScope> Ceiling(string role) => role switch
    {
        Administrator or Clinician => [new(SmartContext.User, "*", SmartInteractions.All, []), new(SmartContext.Patient, "*", SmartInteractions.All, [])],
        Analyst => [new(SmartContext.User, "*", SmartInteractions.Read | SmartInteractions.Search, []), new(SmartContext.Patient, "*", SmartInteractions.Read | SmartInteractions.Search, [])],
        Patient => [new(SmartContext.Patient, "*", SmartInteractions.Read | SmartInteractions.Search, [])],
        Service => [new(SmartContext.System, "*", SmartInteractions.All, [])],
        Auditor => [new(SmartContext.User, "AuditEvent", SmartInteractions.Read | SmartInteractions.Search, [])],
        _ => [],
    };

    /// <summary>Whether the role's ceiling covers <paramref name="scope"/> (same context, type and a superset of interactions).</summary>
    public static bool Allows(string role, SmartScope scope) =>
        Ceiling(role).Any(c => c.Context == scope.Context && c.Covers(scope.ResourceType) && (c.Interactions & scope.Interactions) == scope.Interactions);
}
