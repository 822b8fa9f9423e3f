using Carelake.Core.Fhir;

namespace Carelake.Core.Search;

public readonly record struct ParsedReference(string? Type, string? Id, string? Version, bool IsLocal);

/// <summary>Splits a FHIR reference (relative, versioned or absolute RESTful URL) into type, id and version.</summary>
public static class ReferenceParser
{
    public static ParsedReference Parse(string reference)
    {
        var isAbsolute = reference.Contains("://", StringComparison.Ordinal) || reference.StartsWith("urn:", StringComparison.Ordinal);
        if (reference.StartsWith("urn:", StringComparison.Ordinal))
        {
            return new ParsedReference(null, null, null, false);
        }

        var path = reference;
        if (path.Contains('?', StringComparison.Ordinal))
        {
            // A conditional reference (Patient?identifier=...) is resolved before storage; never indexed as-is.
            return new ParsedReference(null, null, null, false);
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = segments.Length - 2; i >= 0; i--)
        {
            if (ResourceTypes.IsKnown(segments[i]) && ResourceIds.IsValid(segments[i + 1]))
            {
                string? version = null;
                if (i + 3 < segments.Length && segments[i + 2] == "_history")
                {
                    version = segments[i + 3];
                }

                return new ParsedReference(segments[i], segments[i + 1], version, !isAbsolute);
            }
        }

        return new ParsedReference(null, null, null, false);
    }
}
