using Hl7.Fhir.Model;

namespace Carelake.Core.Search;

/// <summary>
/// The is-a hierarchy of one CodeSystem, for token <c>:below</c> / <c>:above</c>. A concept nested in another is its
/// child; the standard concept properties <c>parent</c> / <c>subsumedBy</c> (child → parent) and <c>child</c>
/// (parent → child) add edges, so polyhierarchies (several parents) work.
/// </summary>
public sealed class CodeHierarchy
{
    private readonly Dictionary<string, List<string>> _children = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _parents = new(StringComparer.Ordinal);

    public static CodeHierarchy From(CodeSystem codeSystem)
    {
        var hierarchy = new CodeHierarchy();
        hierarchy.AddConcepts(codeSystem.Concept, parent: null);
        return hierarchy;
    }

    /// <summary>The code and every code below it.</summary>
    public IReadOnlyCollection<string> Descendants(string code) => Walk(code, _children);

    /// <summary>The code and every code above it.</summary>
    public IReadOnlyCollection<string> Ancestors(string code) => Walk(code, _parents);

    private static HashSet<string> Walk(string start, Dictionary<string, List<string>> edges)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { start };
        var pending = new Stack<string>();
        pending.Push(start);
        while (pending.TryPop(out var code))
        {
            foreach (var next in edges.GetValueOrDefault(code) ?? [])
            {
                // The seen-set also stops cycles, which a malformed code system may contain.
                if (seen.Add(next))
                {
                    pending.Push(next);
                }
            }
        }

        return seen;
    }

    private void AddConcepts(IEnumerable<CodeSystem.ConceptDefinitionComponent> concepts, string? parent)
    {
        foreach (var concept in concepts)
        {
            if (concept.Code is null)
            {
                continue;
            }

            if (parent is not null)
            {
                AddEdge(parent, concept.Code);
            }

            foreach (var property in concept.Property)
            {
                if (property.Value is not Code { Value: { } other })
                {
                    continue;
                }

                switch (property.Code)
                {
                    case "parent" or "subsumedBy":
                        AddEdge(other, concept.Code);
                        break;
                    case "child":
                        AddEdge(concept.Code, other);
                        break;
                }
            }

            AddConcepts(concept.Concept, concept.Code);
        }
    }

    private void AddEdge(string parent, string child)
    {
        Add(_children, parent, child);
        Add(_parents, child, parent);
    }

    private static void Add(Dictionary<string, List<string>> edges, string from, string to)
    {
        if (!edges.TryGetValue(from, out var list))
        {
            edges[from] = list = [];
        }

        list.Add(to);
    }
}
