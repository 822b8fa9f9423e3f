-- The audit key index as postings: one row per distinct key per chaining transaction (see the SQLite script
-- 0012_audit_posting.sql). On PostgreSQL each audited commit chains its own records, so a posting usually holds the
-- records of one request; the layout is shared so that search, verify and retention read one format.
CREATE TABLE audit_posting (
    kind      TEXT   NOT NULL,
    value     TEXT   NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq  BIGINT NOT NULL,
    more      BYTEA
);
CREATE INDEX ix_audit_posting_value ON audit_posting (kind, value, first_seq);
CREATE INDEX ix_audit_posting_first ON audit_posting (first_seq);

INSERT INTO audit_posting (kind, value, first_seq, last_seq, more) SELECT kind, value, seq, seq, NULL FROM audit_key ORDER BY seq, kind, value;
DROP TABLE audit_key;

CREATE FUNCTION audit_posting_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('carelake.audit_prune', true) = 'on'
       AND OLD.last_seq <= (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoint) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only (% on %)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_posting_append_only BEFORE UPDATE OR DELETE ON audit_posting FOR EACH ROW EXECUTE FUNCTION audit_posting_append_only();
CREATE TRIGGER audit_posting_no_truncate BEFORE TRUNCATE ON audit_posting FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();
