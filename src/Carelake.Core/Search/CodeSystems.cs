using System.Collections.Concurrent;
using System.Reflection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Carelake.Core.Search;

/// <summary>
/// The implicit code system of a <c>code</c> bound to a required value set (Patient.gender, Observation.status …),
/// so that <c>gender=http://hl7.org/fhir/administrative-gender|female</c> matches as well as <c>gender=female</c>.
/// The SDK models these as <c>Code&lt;TEnum&gt;</c> whose enum literals carry their system.
/// </summary>
internal static class CodeSystems
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo?> EnumValueProperties = new();

    // Every status and gender of every write passes here: the reflection and attribute lookups run once per literal.
    private static readonly ConcurrentDictionary<(Type Type, string Code), string?> Systems = new();

    public static string? Of(PrimitiveType primitive)
    {
        var type = primitive.GetType();
        var property = EnumValueProperties.GetOrAdd(type, static t =>
            t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Code<>) ? t.GetProperty("Value", BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly) : null);
        if (property is null || primitive.JsonValue is not string code)
        {
            return null;
        }

        if (Systems.TryGetValue((type, code), out var system))
        {
            return system;
        }

        // Only the enum's own literals are remembered: codes a leniently read stored resource may carry are
        // unbounded and have no system.
        if (property.GetValue(primitive) is not Enum value)
        {
            return null;
        }

        return Systems[(type, code)] = EnumUtility.GetSystem(value);
    }
}
