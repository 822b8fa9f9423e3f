-- The audit trail (issue S2): one row per AuditEvent, hash-chained in position order (seq). Never indexed like a
-- resource: audit_key holds the searchable keys (patient, entity, agent, type, subtype, action, outcome), which
-- `carelake audit verify` derives again from the hashed payload.
CREATE TABLE audit_event (
    seq       INTEGER PRIMARY KEY,
    id        TEXT    NOT NULL UNIQUE,
    recorded  INTEGER NOT NULL,
    payload   BLOB    NOT NULL,
    prev_hash BLOB    NOT NULL,
    hash      BLOB    NOT NULL
);
CREATE INDEX ix_audit_event_recorded ON audit_event (recorded);

CREATE TABLE audit_key (
    seq   INTEGER NOT NULL,
    kind  TEXT    NOT NULL,
    value TEXT    NOT NULL
);
CREATE INDEX ix_audit_key_value ON audit_key (kind, value, seq);
CREATE INDEX ix_audit_key_seq ON audit_key (seq);

-- Signed statements of the chain head (key outside the database).
CREATE TABLE audit_checkpoint (
    seq       INTEGER PRIMARY KEY,
    hash      BLOB    NOT NULL,
    created   INTEGER NOT NULL,
    key_id    TEXT    NOT NULL,
    signature BLOB    NOT NULL
);

-- Guard rails against mistakes (whoever can write the file can drop them; the hash chain and the signed
-- checkpoints are what detects tampering). Only records a checkpoint covers may leave, by the retention policy.
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER audit_key_no_update BEFORE UPDATE ON audit_key BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER audit_checkpoint_no_change BEFORE UPDATE ON audit_checkpoint BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event WHEN OLD.seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoint)
BEGIN SELECT RAISE(ABORT, 'only audit records covered by a signed checkpoint can be pruned'); END;
CREATE TRIGGER audit_key_no_delete BEFORE DELETE ON audit_key WHEN OLD.seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoint)
BEGIN SELECT RAISE(ABORT, 'only audit records covered by a signed checkpoint can be pruned'); END;
