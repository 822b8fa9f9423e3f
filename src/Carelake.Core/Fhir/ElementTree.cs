using System.Collections.Concurrent;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace Carelake.Core.Fhir;

/// <summary>
/// Cheap access to a POCO's child elements. Firely's <c>EnumerateElements</c> allocates an iterator per class in the
/// hierarchy and a dictionary per node; a walk over a parsed Bundle visits tens of thousands of nodes, so the hot
/// paths read each element by name through the generated <c>TryGetValue</c> switch instead, from a per-type list of
/// element mappings built once.
/// </summary>
internal static class ElementTree
{
    private static readonly ConcurrentDictionary<Type, Shape> Shapes = new();

    /// <summary>
    /// A class's mapping and its elements (a primitive's own value excluded: it is not a child), with what the walks
    /// ask of every node answered once per type instead of by a type test per node.
    /// </summary>
    internal sealed record Shape(ClassMapping Mapping, PropertyMapping[] Elements, bool IsPrimitive, bool IsDomainResource, bool IsDynamic, bool MayHoldReference, bool NeedsFirelyObjectValidation);

    public static Shape ShapeOf(Base node) => Shapes.GetOrAdd(node.GetType(), static (type, instance) =>
    {
        var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(instance)
            ?? throw new InvalidOperationException($"No FHIR mapping for {type}.");
        return new Shape(
            mapping,
            [.. mapping.PropertyMappings.Where(p => !p.RepresentsValueElement)],
            IsPrimitive: instance is PrimitiveType,
            IsDomainResource: instance is DomainResource,
            IsDynamic: instance is IDynamicType,
            MayHoldReference: instance is ResourceReference or FhirUri or Canonical or FhirUrl,
            NeedsFirelyObjectValidation: StructuralChecks.NeedsFirelyObjectValidation(mapping));
    }, node);

    /// <summary>Pushes every child element of <paramref name="node"/> (list items one by one) onto <paramref name="pending"/>.</summary>
    public static void PushChildren(Base node, Stack<Base> pending)
    {
        if (node.HasOverflow)
        {
            // Elements the model does not know (stored data read leniently): only Firely's enumeration has them.
            foreach (var (_, value) in node.EnumerateElements())
            {
                Push(value, pending);
            }

            return;
        }

        foreach (var element in ShapeOf(node).Elements)
        {
            if (node.TryGetValue(element.Name, out var value))
            {
                Push(value, pending);
            }
        }
    }

    /// <summary>Pushes an element's value: a node, or each node of a list (what <c>TryGetValue</c> returns).</summary>
    public static void Push(object value, Stack<Base> pending)
    {
        if (value is Base node)
        {
            pending.Push(node);
            return;
        }

        foreach (var item in (IEnumerable<Base>)value)
        {
            pending.Push(item);
        }
    }
}
