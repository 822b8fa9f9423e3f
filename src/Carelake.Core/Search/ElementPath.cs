using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace Carelake.Core.Search;

/// <summary>
/// A search parameter expression of the shapes the definitions use for almost every parameter — unions of member
/// paths with type filters and simple equality filters:
/// <c>Observation.code | Observation.component.code</c>, <c>(Observation.value as Quantity)</c>,
/// <c>Condition.onset.as(dateTime)</c>, <c>(Observation.value as CodeableConcept).text</c>,
/// <c>Patient.telecom.where(system='email')</c>, and the relative component paths of composites (<c>value.as(Quantity)</c>).
/// Walked on the model directly: the same elements FHIRPath finds, without compiling a closure tree and wrapping
/// every node (FHIRPath over the POCO costs tens of µs per parameter; the walk, well under one).
/// Anything else (functions, indexers, boolean logic) is left to FHIRPath: <see cref="TryParse"/> returns null.
/// </summary>
internal sealed partial class ElementPath
{
    private readonly Step[][] _branches;

    private ElementPath(Step[][] branches) => _branches = branches;

    /// <summary>
    /// Parses <paramref name="expression"/>; paths start with <paramref name="rootType"/> (a resource type name), or
    /// with a member name when <paramref name="rootType"/> is null (composite components, relative to their node).
    /// </summary>
    public static ElementPath? TryParse(string expression, string? rootType)
    {
        var branches = new List<Step[]>();
        foreach (var part in SplitUnion(expression))
        {
            if (ParseBranch(part.Trim(), rootType) is not { } steps)
            {
                return null;
            }

            branches.Add(steps);
        }

        return branches.Count == 0 ? null : new ElementPath([.. branches]);
    }

    /// <summary>The elements the expression reaches from <paramref name="start"/>, flattening lists at every step.</summary>
    public List<Base> Select(Base start)
    {
        var found = new List<Base>();
        var frontier = new List<Base>();
        var next = new List<Base>();
        foreach (var steps in _branches)
        {
            frontier.Clear();
            frontier.Add(start);
            foreach (var step in steps)
            {
                next.Clear();
                step.Apply(frontier, next);
                (frontier, next) = (next, frontier);
                if (frontier.Count == 0)
                {
                    break;
                }
            }

            foreach (var element in frontier)
            {
                // FHIRPath's union drops repeats; the same element reached through two branches is indexed once.
                if (_branches.Length == 1 || !found.Contains(element))
                {
                    found.Add(element);
                }
            }
        }

        return found;
    }

    private static IEnumerable<string> SplitUnion(string expression)
    {
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '(')
            {
                depth++;
            }
            else if (!quoted && c == ')')
            {
                depth--;
            }
            else if (!quoted && depth == 0 && c == '|')
            {
                yield return expression[start..i];
                start = i + 1;
            }
        }

        yield return expression[start..];
    }

    private static Step[]? ParseBranch(string text, string? rootType)
    {
        var steps = new List<Step>();
        var rest = text;
        if (rest.StartsWith('('))
        {
            // "(Observation.value as Quantity)" and "(Observation.value as CodeableConcept).text".
            var close = rest.LastIndexOf(')');
            var inner = close < 0 ? Match.Empty : ParenthesisedCast().Match(rest[1..close].Trim());
            if (!inner.Success || ParseBranch(inner.Groups["path"].Value, rootType) is not { } innerSteps ||
                TypeFilter.For(inner.Groups["type"].Value) is not { } cast)
            {
                return null;
            }

            steps.AddRange(innerSteps);
            steps.Add(cast);
            rest = rest[(close + 1)..];
        }
        else if (rootType is not null)
        {
            if (!rest.StartsWith(rootType, StringComparison.Ordinal) || (rest.Length > rootType.Length && rest[rootType.Length] != '.'))
            {
                return null;
            }

            rest = rest[rootType.Length..];
        }
        else
        {
            // A relative path begins with a member name: read it as if it followed a dot.
            rest = "." + rest;
        }

        var position = 0;
        while (position < rest.Length)
        {
            var match = StepPattern().Match(rest, position);
            if (!match.Success || match.Index != position)
            {
                return null;
            }

            Step? step = match.Groups["member"].Success ? new Member(match.Groups["member"].Value)
                : match.Groups["cast"].Success ? TypeFilter.For(match.Groups["cast"].Value)
                : new WhereEquals(match.Groups["field"].Value, match.Groups["literal"].Value);
            if (step is null)
            {
                return null;
            }

            steps.Add(step);
            position += match.Length;
        }

        return [.. steps];
    }

    [GeneratedRegex(@"^(?<path>[A-Za-z][A-Za-z0-9.]*)\s+as\s+(?<type>[A-Za-z]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex ParenthesisedCast();

    [GeneratedRegex(@"\.(?:(?:as|ofType)\((?<cast>[A-Za-z]+)\)|where\((?<field>[a-z][A-Za-z0-9]*)\s*=\s*'(?<literal>[^'\\]*)'\)|(?<member>[a-z][A-Za-z0-9]*)(?![A-Za-z0-9(]))", RegexOptions.CultureInvariant)]
    private static partial Regex StepPattern();

    private abstract class Step
    {
        public abstract void Apply(List<Base> from, List<Base> to);
    }

    private sealed class Member(string name) : Step
    {
        public override void Apply(List<Base> from, List<Base> to)
        {
            foreach (var element in from)
            {
                if (!element.TryGetValue(name, out var value))
                {
                    continue;
                }

                switch (value)
                {
                    case Base single:
                        to.Add(single);
                        break;
                    case IEnumerable<Base> many:
                        to.AddRange(many);
                        break;
                }
            }
        }
    }

    /// <summary><c>as T</c> / <c>ofType(T)</c>: the elements that are a <c>T</c> (or a type derived from it).</summary>
    private sealed class TypeFilter(Type nativeType) : Step
    {
        public static TypeFilter? For(string fhirType) =>
            ModelInfo.ModelInspector.FindClassMapping(fhirType)?.NativeType is { } type ? new TypeFilter(type) : null;

        public override void Apply(List<Base> from, List<Base> to)
        {
            foreach (var element in from)
            {
                if (nativeType.IsInstanceOfType(element))
                {
                    to.Add(element);
                }
            }
        }
    }

    /// <summary><c>where(system = 'email')</c>: the elements whose primitive child has exactly that value.</summary>
    private sealed class WhereEquals(string field, string literal) : Step
    {
        public override void Apply(List<Base> from, List<Base> to)
        {
            foreach (var element in from)
            {
                if (element.TryGetValue(field, out var value) && value is PrimitiveType { JsonValue: { } json } &&
                    string.Equals(Convert.ToString(json, System.Globalization.CultureInfo.InvariantCulture), literal, StringComparison.Ordinal))
                {
                    to.Add(element);
                }
            }
        }
    }
}
