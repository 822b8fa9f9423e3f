using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carelake.Core.Fhir;
using Carelake.Core.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace Carelake.Core.Tests.Fhir;

/// <summary>
/// Client JSON is parsed without Firely's per-element validation hook and checked afterwards in one walk
/// (<see cref="StructuralChecks"/>), falling back to the strict parse on any failure. These tests hold the fast path to
/// the strict parser: on the official examples, on the Synthea bundles, and on thousands of resources broken at random
/// (wrong types, bad formats, missing required elements, unknown elements, wrong choice types, …) it must refuse
/// exactly what the strict parser refuses and, where both accept, produce the same resource.
/// </summary>
public sealed class StrictParseEquivalenceTests
{
    [Fact]
    public void Every_official_example_and_Synthea_bundle_is_accepted_by_the_fast_path_exactly_as_by_the_strict_parse()
    {
        var files = Directory.GetFiles(SharedData.PathOf("fhir-examples", "r4"), "*.json")
            .Concat(Directory.GetFiles(SharedData.PathOf("synthea", "r4-transaction-bundles"), "*.json"))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(files.Count > 450, $"expected the shared examples and bundles, found {files.Count} files");

        var accepted = 0;
        foreach (var file in files)
        {
            var json = File.ReadAllBytes(file);
            var strict = ParseStrictly(json);
            var fast = FhirSerialization.TryParseChecked(json);
            if (strict is null)
            {
                Assert.True(fast is null, $"{Path.GetFileName(file)}: the strict parse refuses it, the fast path accepted it");
                continue;
            }

            // JSON nulls take the strict path on purpose (FhirSerialization.TryParseChecked says why).
            Assert.True(fast is not null || ContainsJsonNull(json), $"{Path.GetFileName(file)}: valid, but the fast path fell back to the strict parse");
            if (fast is not null)
            {
                Assert.Equal(Serialize(strict), Serialize(fast));
            }

            accepted++;
        }

        Assert.True(accepted > 450, $"only {accepted} files parsed");
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","gender":"male","colour":"blue"}""")]
    [InlineData("""{"resourceType":"Patient","birthDate":"1970-13-01"}""")]
    [InlineData("""{"resourceType":"Patient","birthDate":"19700101"}""")]
    [InlineData("""{"resourceType":"Patient","id":"not valid!"}""")]
    [InlineData("""{"resourceType":"Patient","gender":""}""")]
    [InlineData("""{"resourceType":"Patient","active":true,"name":[{}]}""")]
    [InlineData("""{"resourceType":"Patient","deceasedNarrative":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}}""")]
    [InlineData("""{"resourceType":"Patient","extension":[{"valueString":"no url"}]}""")]
    [InlineData("""{"resourceType":"Patient","contained":[{"resourceType":"Patient","id":"a","contained":[{"resourceType":"Patient","id":"b"}]}]}""")]
    [InlineData("""{"resourceType":"Observation","code":{"text":"no status"}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"valueQuantity":{"value":"1.5"}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"t"},"effectiveDateTime":"2020-01-01T10:00"}""")]
    [InlineData("""{"resourceType":"Unicorn","id":"x"}""")]
    [InlineData("""{"resourceType":"Patient","name":{"family":"not a list"}}""")]
    [InlineData("""{"resourceType":"Patient","gender":"male","_gender":{}}""")]
    [InlineData("""{"resourceType":"Patient","birthDate":"1970-01-01","_birthDate":[null,{"zz":1}]}""")]
    [InlineData("""{"resourceType":"Patient","_birthDate":{"id":"a"},"birthDate":[null,"1970-13-99"]}""")]
    [InlineData("""{"resourceType":"Patient","_gender":{"id":"a"},"gender":[null,"nonsense"]}""")]
    [InlineData("""{"resourceType":"Patient","birthDate":"1970-01-01","_birthDate":[null,{"extension":[{"valueString":"no url"}]}]}""")]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","birthDate":"1970-01-01","_birthDate":[null,{"zz":1}]},"request":{"method":"POST","url":"Patient"}}]}""")]
    [InlineData("""{"resourceType":"DomainResource","id":"abstract"}""")]
    [InlineData("""{"resourceType":"Resource","id":"abstract"}""")]
    public void A_resource_the_strict_parse_refuses_is_refused_by_the_fast_path_too(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Null(ParseStrictly(bytes));
        Assert.Null(FhirSerialization.TryParseChecked(bytes));
        var refused = Assert.Throws<FhirException>(() => FhirSerialization.ParseJson(bytes));
        Assert.Equal(400, refused.Status);
    }

    [Fact]
    public void On_thousands_of_randomly_broken_examples_the_fast_path_refuses_exactly_what_the_strict_parse_refuses()
    {
        var random = new Random(20261206);
        var files = Directory.GetFiles(SharedData.PathOf("fhir-examples", "r4"), "*.json").Order(StringComparer.Ordinal).ToList();
        int cases = 0, refused = 0;
        var disagreements = new List<string>();
        foreach (var file in files)
        {
            var original = File.ReadAllText(file);
            for (var i = 0; i < 15; i++)
            {
                var document = JsonNode.Parse(original)!;
                var mutation = Mutations[random.Next(Mutations.Length)];
                if (mutation.Apply(document, random) is not { } broken)
                {
                    continue;
                }

                cases++;
                var bytes = Encoding.UTF8.GetBytes(broken);
                var strict = ParseStrictly(bytes);
                var fast = FhirSerialization.TryParseChecked(bytes);
                if (strict is null)
                {
                    refused++;
                }

                var agrees = strict is null ? fast is null
                    : fast is null ? ContainsJsonNull(bytes)
                    : Serialize(strict) == Serialize(fast);
                if (!agrees && disagreements.Count < 10)
                {
                    disagreements.Add($"{mutation.Name} on {Path.GetFileName(file)}: strict {(strict is null ? "refuses" : "accepts")}, fast {(fast is null ? "refuses" : "accepts")}: {broken[..Math.Min(400, broken.Length)]}");
                }
            }
        }

        Assert.True(cases > 5000, $"only {cases} mutated resources");
        Assert.True(refused > cases / 2, $"only {refused} of {cases} mutations were invalid: the mutations no longer test much");
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }

    private static Resource? ParseStrictly(byte[] json)
    {
        try
        {
            return JsonSerializer.Deserialize<Resource>(json, FhirSerialization.StrictJson);
        }
        catch (Exception)
        {
            return null;
        }
    }

    private static bool ContainsJsonNull(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return true;
            }
        }

        return false;
    }

    private static string Serialize(Resource resource) => JsonSerializer.Serialize(resource, FhirSerialization.StrictJson);

    private static readonly string[] ChoicePrefixes = ["value", "effective", "onset", "deceased", "multipleBirth", "abatement", "occurrence", "performed", "timing"];

    private sealed record Mutation(string Name, Func<JsonNode, Random, string?> Apply);

    /// <summary>Each takes a parsed example and returns it broken (or changed) in one place, or null when it does not apply.</summary>
    private static readonly Mutation[] Mutations =
    [
        new("unknown element", (root, random) => WithProperty(root, random, (o, name, value) => o["zz" + name] = value?.DeepClone())),
        new("element removed", (root, random) => WithProperty(root, random, (o, name, _) => o.Remove(name))),
        new("element name re-cased", (root, random) => WithProperty(root, random, (o, name, value) =>
        {
            o.Remove(name);
            var at = random.Next(name.Length);
            o[name[..at] + (char.IsUpper(name[at]) ? char.ToLowerInvariant(name[at]) : char.ToUpperInvariant(name[at])) + name[(at + 1)..]] = value;
        })),
        new("single value wrapped in an array", (root, random) => WithProperty(root, random, (o, name, value) => o[name] = new JsonArray(value?.DeepClone()))),
        new("array unwrapped", (root, random) => WithProperty(root, random, (o, name, value) => o[name] = value is JsonArray { Count: > 0 } array ? array[0]!.DeepClone() : value?.DeepClone())),
        new("empty object", (root, random) => WithProperty(root, random, (o, name, _) => o[name] = new JsonObject())),
        new("empty array", (root, random) => WithProperty(root, random, (o, name, _) => o[name] = new JsonArray())),
        new("null", (root, random) => WithProperty(root, random, (o, name, _) => o[name] = null)),
        new("object replaced by a string", (root, random) => WithProperty(root, random, (o, name, value) => o[name] = value is JsonObject ? JsonValue.Create("text") : value?.DeepClone())),
        new("string replaced by an object", (root, random) => WithProperty(root, random, (o, name, value) => o[name] = value is JsonValue ? new JsonObject { ["value"] = value.DeepClone() } : value?.DeepClone())),
        new("underscore on an element", (root, random) => WithProperty(root, random, (o, name, _) => o["_" + name] = new JsonObject { ["id"] = "x" })),
        new("string value changed", (root, random) => WithValue(root, random, JsonValueKind.String, _ => JsonValue.Create(
            new[] { " leading space", "tab\tinside", "bad value!", "", "2020-13-01", "2020-02-30", "20200101", "2020-01-01T10:00", "2020-01-01T25:00:00Z", "true", "1e5x", "urn:uuid:x y" }[random.Next(12)]))),
        new("number value changed", (root, random) => WithValue(root, random, JsonValueKind.Number, value => new[]
            { JsonValue.Create(1.5), JsonValue.Create(-3), JsonValue.Create(99999999999L), JsonValue.Create(value.ToJsonString()) }[random.Next(4)])),
        new("array with a leading null for a single value", (root, random) => WithValue(root, random, JsonValueKind.String, value => new JsonArray(null, random.Next(2) == 0 ? value.DeepClone() : JsonValue.Create("1970-13-99")))),
        new("boolean as a string", (root, random) => WithValue(root, random, JsonValueKind.True, _ => JsonValue.Create("true"))),
        new("choice type changed", (root, random) =>
        {
            var choices = Slots(root).Where(s => s.Parent is JsonObject && s.Key is string name && ChoicePrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal) && name.Length > p.Length)).ToList();
            if (choices.Count == 0)
            {
                return null;
            }

            var (parent, key, value) = choices[random.Next(choices.Count)];
            var name = (string)key;
            var prefix = ChoicePrefixes.First(p => name.StartsWith(p, StringComparison.Ordinal));
            ((JsonObject)parent).Remove(name);
            ((JsonObject)parent)[prefix + new[] { "Narrative", "Foo", "Meta", "Dosage", "String", "Quantity", "Reference", "Boolean", "Integer", "DateTime", "" }[random.Next(11)]] = value?.DeepClone();
            return root.ToJsonString();
        }),
        new("resourceType changed", (root, random) =>
        {
            var types = Slots(root).Where(s => s.Key is "resourceType").ToList();
            var (parent, key, value) = types[random.Next(types.Count)];
            ((JsonObject)parent)[(string)key] = new[] { "Patient", "Observation", "Foo", "Bundle", "Element", "DomainResource", value!.GetValue<string>().ToLowerInvariant() }[random.Next(7)];
            return root.ToJsonString();
        }),
        new("extension without url", (root, random) =>
        {
            var urls = Slots(root).Where(s => s.Key is "url" && s.Parent is JsonObject o && o.Any(p => p.Key.StartsWith("value", StringComparison.Ordinal))).ToList();
            if (urls.Count == 0)
            {
                return null;
            }

            ((JsonObject)urls[random.Next(urls.Count)].Parent).Remove("url");
            return root.ToJsonString();
        }),
        new("nested contained resources", (root, _) =>
        {
            if (root is not JsonObject resource || resource["resourceType"]?.GetValue<string>() is "Bundle" or "Parameters" or "Binary" or null)
            {
                return null;
            }

            resource["contained"] = new JsonArray(new JsonObject
            {
                ["resourceType"] = "Patient", ["id"] = "p1",
                ["contained"] = new JsonArray(new JsonObject { ["resourceType"] = "Patient", ["id"] = "p2" }),
            });
            return root.ToJsonString();
        }),
        new("narrative changed", (root, random) =>
        {
            var divs = Slots(root).Where(s => s.Key is "div").ToList();
            if (divs.Count == 0)
            {
                return null;
            }

            var (parent, key, _) = divs[random.Next(divs.Count)];
            ((JsonObject)parent)[(string)key] = new[] { "<div>no namespace</div>", "<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>x</script></div>", "not xml", "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>unclosed</div>" }[random.Next(4)];
            return root.ToJsonString();
        }),
        new("duplicate property", (root, _) =>
        {
            var json = root.ToJsonString();
            var at = json.IndexOf("\"id\":", StringComparison.Ordinal);
            return at < 0 ? null : json.Insert(at, "\"id\":\"dup\",");
        }),
    ];

    private static string? WithProperty(JsonNode root, Random random, Action<JsonObject, string, JsonNode?> change)
    {
        var properties = Slots(root).Where(s => s.Parent is JsonObject).ToList();
        if (properties.Count == 0)
        {
            return null;
        }

        var (parent, key, value) = properties[random.Next(properties.Count)];
        change((JsonObject)parent, (string)key, value);
        return root.ToJsonString();
    }

    private static string? WithValue(JsonNode root, Random random, JsonValueKind kind, Func<JsonNode, JsonNode> replacement)
    {
        var values = Slots(root).Where(s => s.Value is JsonValue v && (v.GetValueKind() == kind || (kind == JsonValueKind.True && v.GetValueKind() == JsonValueKind.False))).ToList();
        if (values.Count == 0)
        {
            return null;
        }

        var (parent, key, value) = values[random.Next(values.Count)];
        var replaced = replacement(value!);
        if (parent is JsonObject o)
        {
            o[(string)key] = replaced;
        }
        else
        {
            ((JsonArray)parent)[(int)key] = replaced;
        }

        return root.ToJsonString();
    }

    private static List<(JsonNode Parent, object Key, JsonNode? Value)> Slots(JsonNode root)
    {
        var slots = new List<(JsonNode, object, JsonNode?)>();
        var pending = new Stack<JsonNode>();
        pending.Push(root);
        while (pending.TryPop(out var node))
        {
            if (node is JsonObject o)
            {
                foreach (var (name, value) in o)
                {
                    slots.Add((o, name, value));
                    if (value is not null)
                    {
                        pending.Push(value);
                    }
                }
            }
            else if (node is JsonArray a)
            {
                for (var i = 0; i < a.Count; i++)
                {
                    slots.Add((a, i, a[i]));
                    if (a[i] is { } item)
                    {
                        pending.Push(item);
                    }
                }
            }
        }

        return slots;
    }
}
