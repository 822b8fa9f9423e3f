using Hl7.Fhir.Model;

namespace Carelake.Tests.Infrastructure;

/// <summary>Small code systems with a known shape, for subsumption (:below / :above) tests.</summary>
public static class TestCodeSystems
{
    /// <summary>
    /// disorder &gt; (heart &gt; (mi, angina), lung); pain &gt; angina — angina has a second parent, given by the
    /// <c>parent</c> property rather than by nesting.
    /// </summary>
    public static CodeSystem Findings(string url)
    {
        var angina = new CodeSystem.ConceptDefinitionComponent { Code = "angina", Display = "Angina" };
        angina.Property.Add(new CodeSystem.ConceptPropertyComponent { Code = "parent", Value = new Code("pain") });
        return new CodeSystem
        {
            Url = url,
            Status = PublicationStatus.Active,
            Content = CodeSystemContentMode.Complete,
            Concept =
            [
                new CodeSystem.ConceptDefinitionComponent
                {
                    Code = "disorder",
                    Concept =
                    [
                        new CodeSystem.ConceptDefinitionComponent { Code = "heart", Concept = [new CodeSystem.ConceptDefinitionComponent { Code = "mi" }, angina] },
                        new CodeSystem.ConceptDefinitionComponent { Code = "lung" },
                    ],
                },
                new CodeSystem.ConceptDefinitionComponent { Code = "pain" },
            ],
        };
    }
}
