using Carelake.Core.Audit;
using Carelake.Core.Bundles;
using Carelake.Core.Jobs;
using Carelake.Core.Resources;
using Carelake.Core.Search;
using Carelake.Core.Security;
using Carelake.Core.Storage;
using Carelake.Core.Validation;
using Carelake.Storage.Postgres;
using Carelake.Storage.SearchSql;
using Carelake.Storage.Sqlite;

namespace Carelake.Hosting;

/// <summary>
/// The services shared by the server and the CLI (the CLI never calls a server over HTTP for local work).
/// Created once, initialised (migrations, search-parameter ids) before use.
/// </summary>
public sealed class CarelakeServices : IAsyncDisposable
{
    private CarelakeServices(AuditingResourceStore store, IJobStore jobs, SearchParameterRegistry registry, IReadOnlyList<SearchParameterInfo> standard, CarelakeOptions options, TimeProvider time)
    {
        Store = store;
        AuditStore = store;
        AuditLog = options.Database.IsPostgres ? SqlAuditLog.Postgres(options.Database.ConnectionString!) : SqlAuditLog.Sqlite(options.DatabasePath, store.Inner as IAuditOutbox);
        Jobs = jobs;
        Registry = registry;
        Indexer = new SearchIndexer(registry);
        Reindex = new ReindexJob(store, registry, Indexer, standard);
        Validator = new ResourceValidator(store, registry, options.ValidationPolicy);
        Resources = new ResourceService(store, Indexer, time, Validator);
        Search = new SearchService(store, new SearchQueryParser(registry, options.DefaultPageSize, options.MaxPageSize));
        Conditional = new ConditionalInteractions(Resources, Search, options.ConditionalDeleteMax);
        Bundles = new BundleProcessor(Resources, Search, Conditional, options.MaxBundleEntries);
        Guard = new AccessGuard(store, Search, Indexer);
    }

    /// <summary>Enforces SMART scopes and the patient compartment on every FHIR interaction (see docs/security.md).</summary>
    public AccessGuard Guard { get; }

    public IResourceStore Store { get; }

    /// <summary>The store every service writes through: each write unit commits with its audit record (docs/audit.md).</summary>
    public AuditingResourceStore AuditStore { get; }

    public SqlAuditLog AuditLog { get; }

    public IJobStore Jobs { get; }

    public ReindexJob Reindex { get; }

    public SearchParameterRegistry Registry { get; }

    public SearchIndexer Indexer { get; }

    public ResourceService Resources { get; }

    public SearchService Search { get; }

    public ConditionalInteractions Conditional { get; }

    public ResourceValidator Validator { get; }

    public BundleProcessor Bundles { get; }

    public static async Task<CarelakeServices> OpenAsync(CarelakeOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.DataDir);
        var inner = CreateStore(options);
        var store = new AuditingResourceStore(inner, time) { Enabled = !(options.Dev && options.Audit.DisabledForBenchmark) };
        var definitions = SearchParameterRegistry.StandardDefinitions();
        var ids = await store.InitializeAsync(definitions, cancellationToken);
        var standard = definitions.Select(d => d with { Id = ids[(d.StorageKey, d.Code)] }).ToList();
        // Custom SearchParameters count once a $reindex registered them (their URL is on record).
        var custom = await ReindexJob.ActiveCustomAsync(store, cancellationToken);
        var customIds = custom.Count == 0 ? ids : await store.RegisterSearchParametersAsync(custom, cancellationToken);
        var registry = new SearchParameterRegistry(SearchParameterRegistry.Merge(standard, custom.Select(c => c with { Id = customIds[(c.StorageKey, c.Code)] }).ToList()));
        return new CarelakeServices(store, (IJobStore)inner, registry, standard, options, time);
    }

    /// <summary>The provider the configuration names: PostgreSQL when a connection string is set, else the SQLite file.</summary>
    public static IResourceStore CreateStore(CarelakeOptions options) => options.Database.IsPostgres
        ? new PostgresResourceStore(new PostgresOptions
        {
            ConnectionString = options.Database.ConnectionString!,
            MaxPoolSize = options.Database.MaxPoolSize,
            ConnectTimeoutSeconds = options.Database.ConnectTimeoutSeconds,
            AuditOnlyWithoutFsync = !options.Audit.FsyncReadRecords,
        })
        : new SqliteResourceStore(new SqliteOptions { Path = options.DatabasePath, Synchronous = options.SqliteSynchronous, FsyncAuditRecords = options.Audit.FsyncReadRecords });

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await AuditLog.DisposeAsync();
    }
}
