using Carelake.Core.Fhir;
using Hl7.Fhir.Model;

namespace Carelake.Core.Bundles;

/// <summary>
/// Replaces references to bundle-local full URLs (<c>urn:uuid:…</c>) with the assigned Type/id, anywhere in a resource:
/// Reference.reference and uri, url and canonical values, contained resources and extensions included.
/// </summary>
internal static class ReferenceRewriter
{
    public static void Rewrite(Base element, IReadOnlyDictionary<string, string> map)
    {
        if (map.Count > 0)
        {
            ReferenceSlots.Of(element).Apply(map);
        }
    }
}

/// <summary>
/// The elements of one resource that hold a reference or a uri, with the values the client sent. A transaction finds
/// them once; each attempt then writes the rewritten values into the resource itself, or puts the sent ones back, so
/// a retried attempt neither sees the previous attempt's rewrites nor needs a copy of the resource.
/// </summary>
internal sealed class ReferenceSlots
{
    private readonly List<(Base Node, string Sent)> _slots = [];

    private ReferenceSlots()
    {
    }

    public static ReferenceSlots None { get; } = new();

    /// <summary>Every Reference.reference the client sent (contained resources included).</summary>
    public IEnumerable<string> SentReferences => _slots.Where(s => s.Node is ResourceReference).Select(s => s.Sent);

    public static ReferenceSlots Of(Base root)
    {
        var slots = new ReferenceSlots();
        var pending = new Stack<Base>();
        pending.Push(root);
        while (pending.TryPop(out var node))
        {
            if (ValueOf(node) is { } value)
            {
                slots._slots.Add((node, value));
            }

            ElementTree.PushChildren(node, pending);
        }

        return slots;
    }

    /// <summary>Sets every slot to its replacement in <paramref name="map"/>, or back to what the client sent.</summary>
    public void Apply(IReadOnlyDictionary<string, string> map)
    {
        foreach (var (node, sent) in _slots)
        {
            var value = map.TryGetValue(sent, out var replacement) ? replacement : sent;
            if (!ReferenceEquals(value, ValueOf(node)))
            {
                SetValue(node, value);
            }
        }
    }

    private static string? ValueOf(Base node) => node switch
    {
        ResourceReference reference => reference.Reference,
        FhirUri uri => uri.Value,
        Canonical canonical => canonical.Value,
        FhirUrl url => url.Value,
        _ => null,
    };

    private static void SetValue(Base node, string value)
    {
        switch (node)
        {
            case ResourceReference reference:
                reference.Reference = value;
                break;
            case FhirUri uri:
                uri.Value = value;
                break;
            case Canonical canonical:
                canonical.Value = value;
                break;
            case FhirUrl url:
                url.Value = value;
                break;
        }
    }
}
