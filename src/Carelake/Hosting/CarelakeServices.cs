using Carelake.Core.Bundles;
using Carelake.Core.Resources;
using Carelake.Core.Search;
using Carelake.Core.Storage;
using Carelake.Storage.Sqlite;

namespace Carelake.Hosting;

/// <summary>
/// The services shared by the server and the CLI (the CLI never calls a server over HTTP for local work).
/// Created once, initialised (migrations, search-parameter ids) before use.
/// </summary>
public sealed class CarelakeServices : IAsyncDisposable
{
    private CarelakeServices(IResourceStore store, SearchParameterRegistry registry, CarelakeOptions options, TimeProvider time)
    {
        Store = store;
        Registry = registry;
        Indexer = new SearchIndexer(registry);
        Resources = new ResourceService(store, Indexer, time);
        Search = new SearchService(store, new SearchQueryParser(registry, options.DefaultPageSize, options.MaxPageSize));
        Bundles = new BundleProcessor(Resources, Search, options.MaxBundleEntries);
    }

    public IResourceStore Store { get; }

    public SearchParameterRegistry Registry { get; }

    public SearchIndexer Indexer { get; }

    public ResourceService Resources { get; }

    public SearchService Search { get; }

    public BundleProcessor Bundles { get; }

    public static async Task<CarelakeServices> OpenAsync(CarelakeOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.DataDir);
        var store = new SqliteResourceStore(new SqliteOptions { Path = options.DatabasePath, Synchronous = options.SqliteSynchronous });
        var definitions = SearchParameterRegistry.StandardDefinitions();
        var ids = await store.InitializeAsync(definitions, cancellationToken);
        var registry = new SearchParameterRegistry(definitions.Select(d => d with { Id = ids[(d.StorageKey, d.Code)] }));
        return new CarelakeServices(store, registry, options, time);
    }

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
