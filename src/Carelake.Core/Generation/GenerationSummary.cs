namespace Carelake.Core.Generation;

/// <summary>How many resources of each type were written (keys are FHIR resource type names).</summary>
public sealed record GenerationSummary(IReadOnlyDictionary<string, int> CountsByType)
{
    /// <summary>Total number of resources (lines) written.</summary>
    public int Total => CountsByType.Values.Sum();
}
