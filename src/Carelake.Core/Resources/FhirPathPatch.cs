using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Carelake.Core.Fhir;
using Carelake.Core.Storage;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.FhirPath;

namespace Carelake.Core.Resources;

/// <summary>
/// FHIRPath Patch (R4 fhirpatch.html): a Parameters resource of <c>operation</c>s — add, insert, delete, replace,
/// move — each locating elements with a FHIRPath expression. The expression is evaluated with the SDK's FHIRPath
/// engine on the resource model; the change is made on the stored JSON at the located element (so everything else
/// stays byte-for-byte as it was), and the result is parsed strictly at the end. A malformed operation is a 400; one
/// that does not apply (a path matching nothing or several elements where one is required, a bad index) is a 422.
/// </summary>
public static class FhirPathPatch
{
    private static readonly FhirPathCompiler Compiler = new();

    public static Resource Apply(ResourceVersion current, Parameters patch)
    {
        var json = JsonNode.Parse(current.Json)!.AsObject();
        var operations = patch.Parameter.Where(p => p.Name == "operation").ToList();
        if (operations.Count == 0 || operations.Count != patch.Parameter.Count)
        {
            throw FhirException.BadRequest("A FHIRPath Patch is a Parameters resource whose parameters are all named 'operation'.");
        }

        for (var i = 0; i < operations.Count; i++)
        {
            // Each operation sees the result of the ones before it.
            var resource = FhirSerialization.ParseStored(Encoding.UTF8.GetBytes(json.ToJsonString()));
            ApplyOne(json, resource, operations[i], i);
        }

        return ResourceService.ParsePatched(Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    private static void ApplyOne(JsonObject json, Resource resource, Parameters.ParameterComponent operation, int index)
    {
        string? Part(string name) => operation.Part.FirstOrDefault(p => p.Name == name)?.Value switch
        {
            null => null,
            PrimitiveType primitive => primitive.ToString(),
            _ => throw Malformed(index, $"'{name}' must be a primitive value"),
        };

        int IntPart(string name) => int.TryParse(Part(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Malformed(index, $"'{name}' is required and must be a non-negative integer");

        var type = Part("type") ?? throw Malformed(index, "'type' is required");
        var path = Part("path") ?? throw Malformed(index, "'path' is required");
        List<PocoNode> nodes;
        try
        {
            var root = resource.ToPocoNode(ModelInfo.ModelInspector);
            nodes = Compiler.Compile(path).Invoke([root], new FhirEvaluationContext()).ToList();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException)
        {
            throw Malformed(index, $"'{path}' is not a FHIRPath expression this server can evaluate ({e.Message})");
        }

        switch (type)
        {
            case "add":
            {
                var name = Part("name") ?? throw Malformed(index, "'name' is required for add");
                var container = Single(nodes, path, index);
                var target = Locate(json, container, index) as JsonObject ?? throw Unprocessable(index, $"'{path}' is not an element that can have children");
                var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(container.Poco!.GetType())
                    ?? throw Unprocessable(index, $"'{path}' has no children");
                var element = mapping.FindMappedElementByName(name) ?? throw Unprocessable(index, $"'{name}' is not an element of {mapping.Name}");
                var (value, suffix) = ValueOf(operation, index, element.ImplementingType);
                var property = element.Choice != ChoiceType.None ? name + suffix : name;
                if (element.IsCollection)
                {
                    if (target[property] is not JsonArray array)
                    {
                        target[property] = array = [];
                    }

                    array.Add(value);
                }
                else if (target.Any(p => IsProperty(p.Key, name)))
                {
                    throw Unprocessable(index, $"{mapping.Name}.{name} already has a value; use replace");
                }
                else
                {
                    target[property] = value;
                }

                break;
            }

            case "insert":
            {
                var (array, _) = ListOf(json, nodes, path, index);
                var at = IntPart("index");
                if (at > array.Count)
                {
                    throw Unprocessable(index, $"index {at} is beyond the end of '{path}' ({array.Count} items)");
                }

                array.Insert(at, ValueOf(operation, index, nodes[0].Poco?.GetType()).Value);
                break;
            }

            case "delete":
                if (nodes.Count == 0)
                {
                    break; // Deleting what is not there is not an error (R4 fhirpatch.html).
                }

                Remove(json, Single(nodes, path, index), index);
                break;
            case "replace":
            {
                var node = Single(nodes, path, index);
                var (value, suffix) = ValueOf(operation, index, node.Poco?.GetType());
                var (parent, property, position) = Slot(json, node, index);
                if (position is { } p)
                {
                    ((JsonArray)parent[property]!)[p] = value;
                }
                else
                {
                    // A choice element may change type (valueQuantity → valueString): the property is renamed.
                    var name = ElementName(node);
                    var renamed = property == name ? name : name + suffix;
                    parent.Remove(property);
                    parent.Remove("_" + property);
                    parent[renamed] = value;
                }

                break;
            }

            case "move":
            {
                var (array, _) = ListOf(json, nodes, path, index);
                var source = IntPart("source");
                var destination = IntPart("destination");
                if (source >= array.Count || destination >= array.Count)
                {
                    throw Unprocessable(index, $"source {source} or destination {destination} is outside '{path}' ({array.Count} items)");
                }

                var item = array[source];
                array.RemoveAt(source);
                array.Insert(destination, item);
                break;
            }

            default:
                throw Malformed(index, $"'{type}' is not an operation type (add, insert, delete, replace, move)");
        }
    }

    private static PocoNode Single(List<PocoNode> nodes, string path, int index) => nodes.Count switch
    {
        1 => nodes[0],
        0 => throw Unprocessable(index, $"'{path}' matches nothing"),
        _ => throw Unprocessable(index, $"'{path}' matches {nodes.Count} elements; the operation needs exactly one"),
    };

    /// <summary>The JSON array a path's elements live in (all of them must be items of the same list).</summary>
    private static (JsonArray Array, string Property) ListOf(JsonObject json, List<PocoNode> nodes, string path, int index)
    {
        if (nodes.Count == 0)
        {
            throw Unprocessable(index, $"'{path}' matches nothing; insert and move work on an existing list");
        }

        var (parent, property, _) = Slot(json, nodes[0], index);
        return parent[property] is JsonArray array && nodes.Skip(1).All(n => ReferenceEquals(Slot(json, n, index).Parent, parent))
            ? (array, property)
            : throw Unprocessable(index, $"'{path}' is not a list");
    }

    private static void Remove(JsonObject json, PocoNode node, int index)
    {
        var (parent, property, position) = Slot(json, node, index);
        if (position is { } at)
        {
            var array = (JsonArray)parent[property]!;
            array.RemoveAt(at);
            if (parent["_" + property] is JsonArray extensions && extensions.Count > at)
            {
                extensions.RemoveAt(at);
            }

            if (array.Count == 0)
            {
                // FHIR JSON has no empty arrays.
                parent.Remove(property);
                parent.Remove("_" + property);
            }
        }
        else
        {
            parent.Remove(property);
            parent.Remove("_" + property);
        }
    }

    private static JsonNode? Locate(JsonObject json, PocoNode node, int index)
    {
        if (node.Parent is null)
        {
            return json;
        }

        var (parent, property, position) = Slot(json, node, index);
        return position is { } at ? ((JsonArray)parent[property]!)[at] : parent[property];
    }

    /// <summary>Where a model element sits in the JSON: its parent object, the property (a choice's typed name) and the array position.</summary>
    private static (JsonObject Parent, string Property, int? Position) Slot(JsonObject json, PocoNode node, int index)
    {
        if (node.Parent is not PocoNode parentNode)
        {
            throw Unprocessable(index, "the whole resource cannot be the target of this operation");
        }

        var parent = Locate(json, parentNode, index) as JsonObject ?? throw Unprocessable(index, "the element's parent is not an object");
        var name = ElementName(node);
        var property = parent.FirstOrDefault(p => IsProperty(p.Key, name)).Key
            ?? throw Unprocessable(index, $"'{name}' is not present (it may exist only as an extension)");
        return parent[property] is JsonArray ? (parent, property, node.Index ?? 0) : (parent, property, null);
    }

    private static string ElementName(PocoNode node) => node.Name ?? throw new InvalidOperationException("A child node has a name.");

    /// <summary>The JSON property of an element: its name, or name + type for a choice (value → valueQuantity).</summary>
    private static bool IsProperty(string key, string name) =>
        key == name || (key.Length > name.Length && key.StartsWith(name, StringComparison.Ordinal) && char.IsUpper(key[name.Length]));

    /// <summary>
    /// The operation's value as JSON, and its type suffix for choice elements (Quantity, String …). A data type comes
    /// as value[x]; a backbone element (Patient.contact …) as nested parts, one per child element, built against
    /// <paramref name="type"/>, the model class of the element being written.
    /// </summary>
    private static (JsonNode? Value, string Suffix) ValueOf(Parameters.ParameterComponent operation, int index, Type? type = null)
    {
        var part = operation.Part.FirstOrDefault(p => p.Name == "value")
            ?? throw Malformed(index, "'value' is required for add, insert and replace");
        if (part.Value is { } value)
        {
            return DataTypeJson(value);
        }

        if (part.Part.Count > 0 && type is not null && ModelInfo.ModelInspector.FindOrImportClassMapping(type) is { } mapping)
        {
            return (ElementJson(part.Part, mapping, index), string.Empty);
        }

        throw Malformed(index, "'value' needs a value[x], or parts for the children of a backbone element");
    }

    private static (JsonNode? Value, string Suffix) DataTypeJson(DataType value)
    {
        // Serialising through a Parameters gives the exact FHIR JSON of the value and its typed property name.
        var carrier = new Parameters { Parameter = [new Parameters.ParameterComponent { Name = "v", Value = value }] };
        var json = JsonNode.Parse(FhirSerialization.ToJsonBytes(carrier))!["parameter"]![0]!.AsObject();
        var property = json.Select(p => p.Key).First(k => k.StartsWith("value", StringComparison.Ordinal));
        return (json[property]!.DeepClone(), property["value".Length..]);
    }

    private static JsonObject ElementJson(List<Parameters.ParameterComponent> parts, ClassMapping mapping, int index)
    {
        var json = new JsonObject();
        foreach (var part in parts)
        {
            var name = part.Name ?? throw Malformed(index, "every part of a backbone value needs a name");
            var element = mapping.FindMappedElementByName(name) ?? throw Unprocessable(index, $"'{name}' is not an element of {mapping.Name}");
            JsonNode? child;
            var property = name;
            if (part.Value is { } value)
            {
                var (node, suffix) = DataTypeJson(value);
                child = node;
                property = element.Choice != ChoiceType.None ? name + suffix : name;
            }
            else
            {
                var childMapping = ModelInfo.ModelInspector.FindOrImportClassMapping(element.ImplementingType)
                    ?? throw Unprocessable(index, $"'{name}' takes a value[x]");
                child = ElementJson(part.Part, childMapping, index);
            }

            if (element.IsCollection)
            {
                if (json[property] is not JsonArray array)
                {
                    json[property] = array = [];
                }

                array.Add(child);
            }
            else
            {
                json[property] = child;
            }
        }

        return json;
    }

    private static FhirException Malformed(int index, string problem) =>
        FhirException.BadRequest($"FHIRPath Patch operation {index}: {problem}.");

    private static FhirException Unprocessable(int index, string problem) =>
        new(422, OperationOutcome.IssueType.Processing, $"FHIRPath Patch operation {index}: {problem}; nothing was changed.");
}
