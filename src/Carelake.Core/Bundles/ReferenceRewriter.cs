using Hl7.Fhir.Model;

namespace Carelake.Core.Bundles;

/// <summary>Replaces references to bundle-local full URLs (<c>urn:uuid:…</c>) with the assigned Type/id, anywhere in a resource.</summary>
internal static class ReferenceRewriter
{
    public static void Rewrite(Base element, IReadOnlyDictionary<string, string> map)
    {
        if (map.Count == 0)
        {
            return;
        }

        foreach (var node in SelfAndDescendants(element))
        {
            switch (node)
            {
                case ResourceReference reference when reference.Reference is { } target && map.TryGetValue(target, out var replacement):
                    reference.Reference = replacement;
                    break;
                case FhirUri uri when uri.Value is { } value && map.TryGetValue(value, out var replacement):
                    uri.Value = replacement;
                    break;
                case Canonical canonical when canonical.Value is { } value && map.TryGetValue(value, out var replacement):
                    canonical.Value = replacement;
                    break;
                case FhirUrl url when url.Value is { } value && map.TryGetValue(value, out var replacement):
                    url.Value = replacement;
                    break;
            }
        }
    }

    /// <summary>Every Reference.reference in a resource (contained resources included).</summary>
    public static List<string> References(Base element) =>
        SelfAndDescendants(element).OfType<ResourceReference>().Select(r => r.Reference).OfType<string>().ToList();

    /// <summary>The element and everything below it, depth first (a parent before its children).</summary>
    private static IEnumerable<Base> SelfAndDescendants(Base element)
    {
        var pending = new Stack<Base>();
        pending.Push(element);
        while (pending.TryPop(out var node))
        {
            yield return node;
            foreach (var (_, value) in node.EnumerateElements())
            {
                switch (value)
                {
                    case Base child:
                        pending.Push(child);
                        break;
                    case IEnumerable<Base> children:
                        foreach (var child in children)
                        {
                            pending.Push(child);
                        }

                        break;
                }
            }
        }
    }
}
