-- :contains on strings (value LIKE '%x%') cannot use a btree; a trigram GIN index answers it. pg_trgm ships with
-- PostgreSQL (contrib); where it is not installed the migration leaves :contains to the sequential path.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX ix_idx_string_trgm ON idx_string USING gin (value_norm gin_trgm_ops);
EXCEPTION WHEN undefined_file OR feature_not_supported OR insufficient_privilege THEN
    RAISE NOTICE 'pg_trgm is not available: :contains searches scan idx_string';
END
$$;
