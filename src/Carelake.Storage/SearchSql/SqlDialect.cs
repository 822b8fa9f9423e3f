using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Carelake.Storage.SearchSql;

/// <summary>
/// What differs between the SQL that SQLite and PostgreSQL want for the same search. Everything else in
/// <see cref="SearchSqlBuilder"/> and <see cref="SqlReads"/> is provider-neutral SQL.
/// </summary>
internal abstract class SqlDialect
{
    public static readonly SqlDialect Sqlite = new SqliteDialect();

    public static readonly SqlDialect Postgres = new PostgresDialect();

    public abstract DbParameter Parameter(string name, object? value);

    /// <summary>A planner hint naming the index to probe through (SQLite's INDEXED BY); PostgreSQL plans by statistics.</summary>
    public abstract string IndexHint(string index);

    /// <summary>
    /// A column the planner must not pick an index for. SQLite's unary plus keeps it off the low-selectivity type
    /// index when an index table drives; PostgreSQL chooses by statistics and has no unary plus on text.
    /// </summary>
    public abstract string Unindexed(string column);

    /// <summary>U+10FFFF as a string: a text sort key beyond any real value.</summary>
    public abstract string MaxCharacter { get; }

    /// <summary>
    /// The GROUP BY of a streamed page. SQLite groups index rows by d.sid and takes the joined row's columns;
    /// PostgreSQL needs the primary keys of the joined tables to do the same.
    /// </summary>
    public abstract string StreamedGroupBy { get; }

    public abstract bool FullTextIsFts5 { get; }

    private sealed class SqliteDialect : SqlDialect
    {
        public override DbParameter Parameter(string name, object? value) => new SqliteParameter(name, value ?? DBNull.Value);

        public override string IndexHint(string index) => " INDEXED BY " + index;

        public override string Unindexed(string column) => "+" + column;

        public override string MaxCharacter => "char(1114111)";

        public override string StreamedGroupBy => "d.sid";

        public override bool FullTextIsFts5 => true;
    }

    private sealed class PostgresDialect : SqlDialect
    {
        public override DbParameter Parameter(string name, object? value) => new NpgsqlParameter(name, value ?? DBNull.Value);

        public override string IndexHint(string index) => string.Empty;

        public override string Unindexed(string column) => column;

        public override string MaxCharacter => "chr(1114111)";

        public override string StreamedGroupBy => "d.sid, r.sid, v.rid";

        public override bool FullTextIsFts5 => false;
    }
}
