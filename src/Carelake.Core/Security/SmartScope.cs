namespace Carelake.Core.Security;

/// <summary>The SMART interactions a scope grants: v2 letters c r u d s; v1 read = r+s, write = c+u+d, * = all.</summary>
[Flags]
public enum SmartInteractions
{
    None = 0,
    Create = 1,
    Read = 2,
    Update = 4,
    Delete = 8,
    Search = 16,
    All = Create | Read | Update | Delete | Search,
}

/// <summary>Whose data a scope speaks for: one patient (compartment), what the user may see, or a backend system.</summary>
public enum SmartContext
{
    Patient,
    User,
    System,
}

/// <summary>
/// One SMART App Launch v1 or v2 resource scope, e.g. <c>patient/Observation.rs?category=laboratory</c>,
/// <c>user/*.cruds</c>, <c>system/*.read</c>. Non-resource scopes (openid, launch/patient …) are not parsed here.
/// </summary>
public sealed record SmartScope(SmartContext Context, string ResourceType, SmartInteractions Interactions, IReadOnlyList<KeyValuePair<string, string>> Query)
{
    public bool AnyType => ResourceType == "*";

    public bool IsRestricted => Query.Count > 0;

    public bool Covers(string resourceType) => AnyType || ResourceType == resourceType;

    /// <summary>Parses one scope token; null when it is not a resource scope or is malformed (malformed scopes grant nothing).</summary>
    public static SmartScope? TryParse(string scope)
    {
        var slash = scope.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return null;
        }

        SmartContext? context = scope[..slash] switch
        {
            "patient" => SmartContext.Patient,
            "user" => SmartContext.User,
            "system" => SmartContext.System,
            _ => null,
        };
        if (context is null)
        {
            return null;
        }

        var rest = scope[(slash + 1)..];
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        var query = question < 0 ? string.Empty : rest[(question + 1)..];
        rest = question < 0 ? rest : rest[..question];
        var dot = rest.LastIndexOf('.');
        if (dot <= 0 || dot == rest.Length - 1)
        {
            return null;
        }

        var type = rest[..dot];
        if (type != "*" && !Fhir.ResourceTypes.IsKnown(type))
        {
            return null;
        }

        var interactions = ParseInteractions(rest[(dot + 1)..]);
        if (interactions == SmartInteractions.None)
        {
            return null;
        }

        var parameters = new List<KeyValuePair<string, string>>();
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return null;
            }

            parameters.Add(new(Uri.UnescapeDataString(pair[..eq]), Uri.UnescapeDataString(pair[(eq + 1)..])));
        }

        return new SmartScope(context.Value, type, interactions, parameters);
    }

    private static SmartInteractions ParseInteractions(string text)
    {
        switch (text)
        {
            case "read":
                return SmartInteractions.Read | SmartInteractions.Search;
            case "write":
                return SmartInteractions.Create | SmartInteractions.Update | SmartInteractions.Delete;
            case "*":
                return SmartInteractions.All;
        }

        // v2: letters in the order c r u d s, each at most once.
        const string order = "cruds";
        var result = SmartInteractions.None;
        var position = 0;
        foreach (var letter in text)
        {
            var index = order.IndexOf(letter, position);
            if (index < 0)
            {
                return SmartInteractions.None;
            }

            result |= (SmartInteractions)(1 << index);
            position = index + 1;
        }

        return result;
    }
}
