using System.Collections;
using Carelake.Core.Bundles;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Hl7.Fhir.Validation;

namespace Carelake.Core.Fhir;

/// <summary>
/// The checks Firely's strict deserializer runs while it parses (unknown elements, cardinality, choice types, primitive
/// formats, empty elements, nested contained resources), run instead over a POCO parsed without them. The parser's
/// own validation hook creates a validation context per element and a dictionary per object, which made it 60 % of the
/// parse; one walk afterwards with one context does the same work for a third of the cost. The checks are Firely's
/// (<see cref="FhirAttributeValidator"/>, <see cref="PrimitiveType.HasValidValue"/>); only the walk is ours.
/// <see cref="Hold"/> answers yes or no: on no, the caller parses again strictly, and that parse's findings are the
/// answer the client sees, so any difference can only cost time, never accept what the strict parser refuses
/// (StrictParseEquivalenceTests compares both on thousands of mutated resources).
/// </summary>
internal static class StructuralChecks
{
    private static readonly NarrativeValidationKind Narrative = new FhirJsonConverterOptions().NarrativeValidation;

    /// <summary>
    /// Types whose object-level checks we cannot reproduce (class-level validation attributes, or an override of
    /// Firely's invariants other than the three handled below): for those Firely's own object validation runs. Empty
    /// for the R4 model of this SDK version; the set keeps an SDK upgrade that adds one from being skipped silently.
    /// </summary>
    private static readonly HashSet<Type> HandledInvariantOverrides = [typeof(Base), typeof(DomainResource), typeof(PrimitiveType)];

    /// <summary>
    /// True when every check holds. The same walk also notes where the references and uris are (a
    /// <see cref="ReferenceSlots"/> annotation) on the root and, when the root is a Bundle, on each of its entries'
    /// resources (everything inside an entry's resource, contained or nested, counts as that resource's), so a
    /// transaction need not walk its entries again to find them.
    /// </summary>
    public static bool Hold(Resource root)
    {
        var context = new PocoValidationContext(root, ModelInfo.ModelInspector, static () => "", null, null, Narrative);
        var pending = new Stack<(Base Node, List<(Base, string)> Slots)>();
        var rootSlots = NoteSlots(root);
        pending.Push((root, rootSlots));
        while (pending.TryPop(out var item))
        {
            var (node, slots) = item;

            // Unknown elements and unknown resource types land in the overflow or in dynamic types.
            var shape = ElementTree.ShapeOf(node);
            if (node.HasOverflow || shape.IsDynamic)
            {
                return false;
            }

            if (shape.MayHoldReference && ReferenceSlots.CurrentValue(node) is { } sent)
            {
                slots.Add((node, sent));
            }

            var hasElements = false;
            foreach (var element in shape.Elements)
            {
                if (!node.TryGetValue(element.Name, out var value))
                {
                    if (element.IsMandatoryElement)
                    {
                        return false;
                    }

                    continue;
                }

                hasElements = true;
                context.MemberName = null;
                // Without attributes only its type test is left, which a value outside the overflow always passes
                // (the generated setters put a value of the wrong type in the overflow).
                if (element.ValidationAttributes.Length != 0
                    && FhirAttributeValidator.Default.ValidateProperty(element.Name, value, element, context).Count != 0)
                {
                    return false;
                }

                // The root Bundle's entries' resources have slots of their own; anything else belongs to its parent's.
                var entryResource = node is Bundle.EntryComponent && ReferenceEquals(slots, rootSlots) && element.Name == "resource";
                if (value is IList list)
                {
                    foreach (var child in list)
                    {
                        pending.Push(((Base)child, slots));
                    }
                }
                else
                {
                    pending.Push(((Base)value, entryResource && value is Resource resource ? NoteSlots(resource) : slots));
                }
            }

            if (shape.IsPrimitive)
            {
                var primitive = (PrimitiveType)node;
                if (primitive.JsonValue is null ? !hasElements : !primitive.HasValidValue())
                {
                    return false;
                }
            }
            else if (!hasElements
                || (shape.IsDomainResource && ((DomainResource)node).Contained is { Count: > 0 } containedResources && containedResources.Any(c => c is DomainResource { Contained.Count: > 0 })))
            {
                return false;
            }

            if (shape.NeedsFirelyObjectValidation
                && FhirAttributeValidator.Default.ValidateObject(node, shape.Mapping, context).Count != 0)
            {
                return false;
            }
        }

        return true;
    }

    private static List<(Base, string)> NoteSlots(Resource resource)
    {
        var slots = new List<(Base, string)>();
        resource.SetAnnotation(new ReferenceSlots(resource, slots));
        return slots;
    }

    /// <summary>Whether Firely's own object validation must run for a type (answered once per type, in its shape).</summary>
    internal static bool NeedsFirelyObjectValidation(ClassMapping mapping) =>
        mapping.ValidationAttributes.Length > 0 || OverridesInvariants(mapping.NativeType);

    private static bool OverridesInvariants(Type type)
    {
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            var method = current.GetMethod("ValidateInvariants",
                System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly);
            if (method is not null && !HandledInvariantOverrides.Contains(current))
            {
                return true;
            }
        }

        return false;
    }
}
