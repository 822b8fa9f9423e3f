using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carelake.Core.Fhir;
using Hl7.Fhir.Model;

namespace Carelake.Core.Resources;

/// <summary>
/// JSON Patch (RFC 6902) over a resource's JSON: add, remove, replace, move, copy and test, with JSON Pointers
/// (RFC 6901). The operations apply in order to a copy; any failure leaves the resource untouched. A malformed patch
/// document is a 400; a patch that does not apply (a missing path, a failed test) is a 422.
/// </summary>
public static class JsonPatch
{
    public static JsonObject Apply(JsonObject resource, byte[] patchDocument)
    {
        JsonArray operations;
        try
        {
            operations = JsonNode.Parse(patchDocument) as JsonArray
                ?? throw FhirException.BadRequest("A JSON Patch document is an array of operations (RFC 6902).");
        }
        catch (JsonException e)
        {
            throw FhirException.BadRequest($"The JSON Patch document is not valid JSON: {e.Message}");
        }

        JsonNode document = resource.DeepClone();
        for (var i = 0; i < operations.Count; i++)
        {
            var operation = operations[i] as JsonObject ?? throw Malformed(i, "each operation is an object");
            var op = Text(operation, "op", i);
            var path = Pointer(Text(operation, "path", i), i);
            switch (op)
            {
                case "add":
                    document = Add(document, path, Value(operation, i), i);
                    break;
                case "remove":
                    document = Remove(document, path, i, out _);
                    break;
                case "replace":
                    document = Remove(document, path, i, out _);
                    document = Add(document, path, Value(operation, i), i);
                    break;
                case "move":
                {
                    var from = Pointer(Text(operation, "from", i), i);
                    if (path.Count > from.Count && path.Take(from.Count).SequenceEqual(from))
                    {
                        throw Unprocessable(i, "cannot move a value into one of its own children");
                    }

                    document = Remove(document, from, i, out var moved);
                    document = Add(document, path, moved, i);
                    break;
                }

                case "copy":
                {
                    var from = Pointer(Text(operation, "from", i), i);
                    document = Add(document, path, Resolve(document, from, i)?.DeepClone(), i);
                    break;
                }

                case "test":
                    if (!JsonNode.DeepEquals(Resolve(document, path, i), Value(operation, i)))
                    {
                        throw Unprocessable(i, $"test failed: the value at '{Text(operation, "path", i)}' is not the one given");
                    }

                    break;
                default:
                    throw Malformed(i, $"'{op}' is not an operation (add, remove, replace, move, copy, test)");
            }
        }

        return document as JsonObject ?? throw Unprocessable(operations.Count - 1, "the result is not a JSON object");
    }

    private static JsonNode Add(JsonNode document, List<string> path, JsonNode? value, int index)
    {
        if (path.Count == 0)
        {
            return value ?? throw Unprocessable(index, "the whole document cannot be replaced by null");
        }

        var parent = Resolve(document, path[..^1], index);
        var last = path[^1];
        switch (parent)
        {
            case JsonObject obj:
                obj[last] = value;
                break;
            case JsonArray array:
                var at = last == "-" ? array.Count : ArrayIndex(last, array.Count, index, allowEnd: true);
                array.Insert(at, value);
                break;
            default:
                throw Unprocessable(index, $"'/{string.Join('/', path[..^1])}' is not an object or array");
        }

        return document;
    }

    private static JsonNode Remove(JsonNode document, List<string> path, int index, out JsonNode? removed)
    {
        if (path.Count == 0)
        {
            throw Unprocessable(index, "the whole resource cannot be removed");
        }

        var parent = Resolve(document, path[..^1], index);
        var last = path[^1];
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(last):
                removed = obj[last];
                obj.Remove(last);
                return document;
            case JsonArray array:
                var at = ArrayIndex(last, array.Count, index, allowEnd: false);
                removed = array[at];
                array.RemoveAt(at);
                return document;
            default:
                throw Unprocessable(index, $"'/{string.Join('/', path)}' does not exist");
        }
    }

    private static JsonNode? Resolve(JsonNode document, List<string> path, int index)
    {
        var node = document;
        foreach (var token in path)
        {
            node = node switch
            {
                JsonObject obj when obj.TryGetPropertyValue(token, out var child) => child,
                JsonArray array => array[ArrayIndex(token, array.Count, index, allowEnd: false)],
                _ => throw Unprocessable(index, $"'/{string.Join('/', path)}' does not exist"),
            } ?? throw Unprocessable(index, $"'/{string.Join('/', path)}' is null");
        }

        return node;
    }

    private static int ArrayIndex(string token, int count, int index, bool allowEnd)
    {
        // RFC 6901: decimal digits without leading zeros.
        if (token.Length == 0 || (token.Length > 1 && token[0] == '0') || !int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var at))
        {
            throw Unprocessable(index, $"'{token}' is not an array index");
        }

        return at < count || (allowEnd && at == count) ? at : throw Unprocessable(index, $"index {at} is outside the array (length {count})");
    }

    /// <summary>RFC 6901: "" is the whole document; otherwise '/'-separated tokens with ~1 for '/' and ~0 for '~'.</summary>
    private static List<string> Pointer(string pointer, int index)
    {
        if (pointer.Length == 0)
        {
            return [];
        }

        if (pointer[0] != '/')
        {
            throw Malformed(index, $"'{pointer}' is not a JSON Pointer (it must start with '/')");
        }

        return pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
    }

    private static string Text(JsonObject operation, string name, int index) =>
        operation[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : throw Malformed(index, $"'{name}' is required and must be a string");

    private static JsonNode? Value(JsonObject operation, int index) =>
        operation.TryGetPropertyValue("value", out var value) ? value?.DeepClone() : throw Malformed(index, "'value' is required");

    private static FhirException Malformed(int index, string problem) =>
        FhirException.BadRequest($"JSON Patch operation {index}: {problem}.");

    private static FhirException Unprocessable(int index, string problem) =>
        new(422, OperationOutcome.IssueType.Processing, $"JSON Patch operation {index}: {problem}; nothing was changed.");
}
