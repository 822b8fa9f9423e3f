-- The audit key index as postings (issue S2, search-mix overhead): one row per distinct key per chaining
-- transaction, holding the positions of the records that carry it (first_seq, then the gaps to the next positions
-- in `more` as unsigned LEB128; NULL when the row holds first_seq only). A second of journaled searches chains as a
-- few hundred rows instead of ~40,000 random inserts into (kind, value, seq). `carelake audit verify` still derives
-- every record's keys from its hashed payload and compares them with the positions stored here.
CREATE TABLE audit_posting (
    kind      TEXT    NOT NULL,
    value     TEXT    NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL,
    more      BLOB
);
CREATE INDEX ix_audit_posting_value ON audit_posting (kind, value, first_seq);
CREATE INDEX ix_audit_posting_first ON audit_posting (first_seq);

INSERT INTO audit_posting (kind, value, first_seq, last_seq, more) SELECT kind, value, seq, seq, NULL FROM audit_key ORDER BY seq, kind, value;
DROP TABLE audit_key;

CREATE TRIGGER audit_posting_no_update BEFORE UPDATE ON audit_posting BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER audit_posting_no_delete BEFORE DELETE ON audit_posting WHEN OLD.last_seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoint)
BEGIN SELECT RAISE(ABORT, 'only audit records covered by a signed checkpoint can be pruned'); END;
