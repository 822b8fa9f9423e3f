using Carelake.Core.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

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
    private readonly Base? _root;
    private readonly List<(Base Node, string Sent)> _slots;

    /// <param name="root">The resource the slots are in: a copy (Firely's DeepCopy copies annotations) is not it.</param>
    /// <param name="slots">Filled by whoever walks the resource (<see cref="StructuralChecks"/> does as it checks a parse).</param>
    internal ReferenceSlots(Base? root, List<(Base Node, string Sent)> slots)
    {
        _root = root;
        _slots = slots;
    }

    public static ReferenceSlots None { get; } = new(null, []);

    /// <summary>How many references and uris the resource holds.</summary>
    public int Count => _slots.Count;

    /// <summary>Every Reference.reference the client sent (contained resources included).</summary>
    public IEnumerable<string> SentReferences => _slots.Where(s => s.Node is ResourceReference).Select(s => s.Sent);

    /// <summary>The slots noted when the resource was parsed, or found now.</summary>
    public static ReferenceSlots Of(Base root)
    {
        if (root.Annotation<ReferenceSlots>() is { } noted && ReferenceEquals(noted._root, root))
        {
            return noted;
        }

        var slots = new List<(Base, string)>();
        var pending = new Stack<Base>();
        pending.Push(root);
        while (pending.TryPop(out var node))
        {
            if (CurrentValue(node) is { } value)
            {
                slots.Add((node, value));
            }

            ElementTree.PushChildren(node, pending);
        }

        return new ReferenceSlots(root, slots);
    }

    /// <summary>Sets every slot to its replacement in <paramref name="map"/>, or back to what the client sent.</summary>
    public void Apply(IReadOnlyDictionary<string, string> map)
    {
        foreach (var (node, sent) in _slots)
        {
            var value = map.TryGetValue(sent, out var replacement) ? replacement : sent;
            if (!ReferenceEquals(value, CurrentValue(node)))
            {
                SetValue(node, value);
            }
        }
    }

    /// <summary>The reference or uri a node holds now (null for any other kind of node).</summary>
    internal static string? CurrentValue(Base node) => node switch
    {
        ResourceReference reference => reference.Reference,
        FhirUri or Canonical or FhirUrl => ((PrimitiveType)node).JsonValue as string,
        _ => null,
    };

    private static void SetValue(Base node, string value)
    {
        if (node is ResourceReference reference)
        {
            reference.Reference = value;
        }
        else
        {
            ((PrimitiveType)node).JsonValue = value;
        }
    }
}
