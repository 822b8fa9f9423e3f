-- The audit trail (issue S2); see the SQLite migration 0011 for the model. Here the database itself refuses UPDATE,
-- DELETE and TRUNCATE of audit rows; the one exception is the retention job, which sets carelake.audit_prune and may
-- delete only records a signed checkpoint covers.
CREATE TABLE audit_event (
    seq       BIGINT PRIMARY KEY,
    id        TEXT   NOT NULL UNIQUE,
    recorded  BIGINT NOT NULL,
    payload   BYTEA  NOT NULL,
    prev_hash BYTEA  NOT NULL,
    hash      BYTEA  NOT NULL
);
CREATE INDEX ix_audit_event_recorded ON audit_event (recorded);

CREATE TABLE audit_key (
    seq   BIGINT NOT NULL,
    kind  TEXT   NOT NULL,
    value TEXT   NOT NULL
);
CREATE INDEX ix_audit_key_value ON audit_key (kind, value, seq);
CREATE INDEX ix_audit_key_seq ON audit_key (seq);

CREATE TABLE audit_checkpoint (
    seq       BIGINT PRIMARY KEY,
    hash      BYTEA  NOT NULL,
    created   BIGINT NOT NULL,
    key_id    TEXT   NOT NULL,
    signature BYTEA  NOT NULL
);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME <> 'audit_checkpoint'
       AND current_setting('carelake.audit_prune', true) = 'on'
       AND OLD.seq <= (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoint) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only (% on %)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION audit_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (TRUNCATE on %)', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_key_append_only BEFORE UPDATE OR DELETE ON audit_key FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();
CREATE TRIGGER audit_key_no_truncate BEFORE TRUNCATE ON audit_key FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();
