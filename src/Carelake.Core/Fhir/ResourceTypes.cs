using System.Collections.Frozen;
using Hl7.Fhir.Model;

namespace Carelake.Core.Fhir;

public static class ResourceTypes
{
    /// <summary>Every concrete R4 resource type name (the abstract Resource/DomainResource are excluded).</summary>
    public static readonly FrozenSet<string> All = ModelInfo.SupportedResources
        .Where(name => name is not ("Resource" or "DomainResource"))
        .ToFrozenSet(StringComparer.Ordinal);

    public static bool IsKnown(string name) => All.Contains(name);
}
