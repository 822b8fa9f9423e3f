-- Composite search parameters (code-value-quantity …): one row per component of each extracted tuple. A search
-- joins the component rows of one tuple (sid, param_id, tuple) so that both halves match within the same element.
CREATE TABLE idx_composite (
    sid         INTEGER NOT NULL,
    param_id    INTEGER NOT NULL,
    tuple       INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    system      TEXT,
    code        TEXT,
    text        TEXT,
    value_norm  TEXT,
    value_exact TEXT,
    target_type TEXT,
    target_id   TEXT,
    url         TEXT,
    uri         TEXT,
    unit        TEXT,
    value       REAL,
    low         NUMERIC,
    high        NUMERIC,
    canon_code  TEXT,
    canon_value REAL
);
CREATE INDEX ix_idx_composite_code ON idx_composite (param_id, position, code, sid, tuple);
CREATE INDEX ix_idx_composite_sid ON idx_composite (sid, param_id, tuple, position);
