namespace Carelake.LoadDriver;

/// <summary>
/// What a scenario sends: builds one request at a time and says which label (row of the breakdown table)
/// it belongs to. All URIs are built once up front; nothing here is parsed per request.
/// </summary>
public sealed class Workload
{
    /// <summary>Built-in search mix; family names come from <see cref="PatientGenerator"/>, so seeded data matches.</summary>
    public static readonly string[] BuiltInQueries =
    [
        "Patient?family=smith",
        "Patient?family=garcia&given=maria",
        "Patient?name=jo",
        "Patient?birthdate=ge1970",
        "Patient?gender=female&_count=20",
        $"Patient?identifier={PatientGenerator.IdentifierSystem}|MRN-00012345",
    ];

    private const int ReadPercent = 80;

    private readonly Scenario _scenario;
    private readonly Uri _createUri;
    private readonly Uri[] _readUris;
    private readonly Uri[] _queryUris;

    private Workload(Scenario scenario, Uri baseUrl, string[] labels, int[] expectedStatus, Uri[] readUris, Uri[] queryUris)
    {
        _scenario = scenario;
        _createUri = Combine(baseUrl, "Patient");
        Labels = labels;
        ExpectedStatus = expectedStatus;
        _readUris = readUris;
        _queryUris = queryUris;
    }

    /// <summary>Row names of the breakdown: query lines for search, "read"/"create" for mixed.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Status each label expects (201 for create, 200 otherwise); other 2xx are counted as unexpected.</summary>
    public IReadOnlyList<int> ExpectedStatus { get; }

    /// <summary>Whether a per-label table says more than the totals (search and mixed).</summary>
    public bool HasBreakdown => Labels.Count > 1 || _scenario == Scenario.Search;

    public static Workload ForCreate(Uri baseUrl) =>
        new(Scenario.Create, baseUrl, ["create"], [201], [], []);

    public static Workload ForRead(Uri baseUrl, IReadOnlyList<string> ids) =>
        new(Scenario.Read, baseUrl, ["read"], [200], ReadUris(baseUrl, ids), []);

    public static Workload ForMixed(Uri baseUrl, IReadOnlyList<string> ids) =>
        new(Scenario.Mixed, baseUrl, ["read", "create"], [200, 201], ReadUris(baseUrl, ids), []);

    public static Workload ForSearch(Uri baseUrl, IReadOnlyList<string> queries)
    {
        var labels = queries.ToArray();
        var uris = Array.ConvertAll(labels, q => Combine(baseUrl, q));
        return new(Scenario.Search, baseUrl, labels, Enumerable.Repeat(200, labels.Length).ToArray(), [], uris);
    }

    /// <summary>
    /// Reads a query file: one relative URL per line; blank lines and lines starting with '#' are skipped.
    /// Returns null with an error for an unreadable file, an absolute URL or an empty list.
    /// </summary>
    public static List<string>? ReadQueryFile(string path, out string? error)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read --queries file '{path}': {ex.Message}";
            return null;
        }

        var queries = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith("//", StringComparison.Ordinal) || line.Contains("://", StringComparison.Ordinal))
            {
                error = $"{path}:{i + 1}: query lines must be relative to --base (like Patient?family=smith), not '{line}'";
                return null;
            }

            queries.Add(line.TrimStart('/'));
        }

        if (queries.Count == 0)
        {
            error = $"--queries file '{path}' has no query lines";
            return null;
        }

        error = null;
        return queries;
    }

    /// <summary>A new request; <paramref name="label"/> is its index into <see cref="Labels"/>.</summary>
    public HttpRequestMessage Next(PatientGenerator generator, out int label)
    {
        var random = Random.Shared;
        switch (_scenario)
        {
            case Scenario.Create:
                label = 0;
                return CreatePatient(generator);
            case Scenario.Read:
                label = 0;
                return Get(_readUris[random.Next(_readUris.Length)]);
            case Scenario.Search:
                label = random.Next(_queryUris.Length);
                return Get(_queryUris[label]);
            default:
                if (random.Next(100) < ReadPercent)
                {
                    label = 0;
                    return Get(_readUris[random.Next(_readUris.Length)]);
                }

                label = 1;
                return CreatePatient(generator);
        }
    }

    /// <summary>POST {base}/Patient with a generated body, Prefer: return=minimal.</summary>
    public HttpRequestMessage CreatePatient(PatientGenerator generator)
    {
        var content = new ReadOnlyMemoryContent(generator.Next());
        content.Headers.TryAddWithoutValidation("Content-Type", "application/fhir+json");
        var request = new HttpRequestMessage(HttpMethod.Post, _createUri) { Content = content };
        request.Headers.TryAddWithoutValidation("Prefer", "return=minimal");
        return request;
    }

    public static Uri Combine(Uri baseUrl, string relative) => new(baseUrl.AbsoluteUri + "/" + relative.TrimStart('/'));

    private static HttpRequestMessage Get(Uri uri) => new(HttpMethod.Get, uri);

    private static Uri[] ReadUris(Uri baseUrl, IReadOnlyList<string> ids)
    {
        var uris = new Uri[ids.Count];
        for (var i = 0; i < uris.Length; i++)
        {
            uris[i] = Combine(baseUrl, "Patient/" + Uri.EscapeDataString(ids[i]));
        }

        return uris;
    }
}
