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

        Visit(element, map);
    }

    /// <summary>Every Reference.reference in a resource (contained resources included).</summary>
    public static List<string> References(Base element)
    {
        var found = new List<string>();
        Collect(element, found);
        return found;
    }

    private static void Collect(Base element, List<string> found)
    {
        if (element is ResourceReference { Reference: { } reference })
        {
            found.Add(reference);
        }

        foreach (var (_, value) in element.EnumerateElements())
        {
            switch (value)
            {
                case Base child:
                    Collect(child, found);
                    break;
                case IEnumerable<Base> children:
                    foreach (var child in children)
                    {
                        Collect(child, found);
                    }

                    break;
            }
        }
    }

    private static void Visit(Base element, IReadOnlyDictionary<string, string> map)
    {
        switch (element)
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

        foreach (var (_, value) in element.EnumerateElements())
        {
            switch (value)
            {
                case Base child:
                    Visit(child, map);
                    break;
                case IEnumerable<Base> children:
                    foreach (var child in children)
                    {
                        Visit(child, map);
                    }

                    break;
            }
        }
    }
}
