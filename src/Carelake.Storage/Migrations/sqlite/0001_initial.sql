-- Carelake schema v1 (SQLite). Times are UTC ticks (100 ns since 0001-01-01), so range predicates are integer compares.

-- One row per resource (type, id): the current version, and a stable surrogate id (sid) that index rows, search
-- ordering and paging cursors use. sid never changes when a resource is updated, so a page walk is stable.
CREATE TABLE resource (
    sid          INTEGER PRIMARY KEY,
    type         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    rid          INTEGER NOT NULL,
    deleted      INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    UNIQUE (type, id)
);
CREATE INDEX ix_resource_type_last_updated ON resource (type, last_updated);

-- Every version ever written (history, vread). payload is the exact UTF-8 JSON returned to clients; NULL marks a deletion.
CREATE TABLE resource_version (
    rid          INTEGER PRIMARY KEY,
    sid          INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    method       TEXT    NOT NULL,
    payload      BLOB,
    UNIQUE (sid, version)
);
CREATE INDEX ix_resource_version_last_updated ON resource_version (last_updated);

-- Search parameters get small integer ids so index rows stay compact; ids are stable across restarts.
CREATE TABLE search_param (
    param_id      INTEGER PRIMARY KEY,
    resource_type TEXT NOT NULL,
    code          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    url           TEXT NOT NULL,
    UNIQUE (resource_type, code)
);

-- Index tables hold values of the current version only, one table per parameter kind (ARCHITECTURE.md storage model).
CREATE TABLE idx_string (
    sid         INTEGER NOT NULL,
    param_id    INTEGER NOT NULL,
    value_norm  TEXT    NOT NULL,
    value_exact TEXT    NOT NULL
);
CREATE INDEX ix_idx_string_value ON idx_string (param_id, value_norm, sid);
CREATE INDEX ix_idx_string_sid ON idx_string (sid);

CREATE TABLE idx_token (
    sid      INTEGER NOT NULL,
    param_id INTEGER NOT NULL,
    system   TEXT,
    code     TEXT,
    text     TEXT
);
CREATE INDEX ix_idx_token_code ON idx_token (param_id, code, system, sid);
CREATE INDEX ix_idx_token_sid ON idx_token (sid);

CREATE TABLE idx_reference (
    sid            INTEGER NOT NULL,
    param_id       INTEGER NOT NULL,
    target_type    TEXT,
    target_id      TEXT,
    target_version TEXT,
    url            TEXT
);
CREATE INDEX ix_idx_reference_target ON idx_reference (param_id, target_id, target_type, sid);
CREATE INDEX ix_idx_reference_url ON idx_reference (param_id, url) WHERE url IS NOT NULL;
CREATE INDEX ix_idx_reference_sid ON idx_reference (sid);

CREATE TABLE idx_date (
    sid      INTEGER NOT NULL,
    param_id INTEGER NOT NULL,
    low      INTEGER NOT NULL,
    high     INTEGER NOT NULL
);
CREATE INDEX ix_idx_date_low ON idx_date (param_id, low, high, sid);
CREATE INDEX ix_idx_date_high ON idx_date (param_id, high, sid);
CREATE INDEX ix_idx_date_sid ON idx_date (sid);

CREATE TABLE idx_number (
    sid      INTEGER NOT NULL,
    param_id INTEGER NOT NULL,
    value    REAL    NOT NULL,
    low      REAL    NOT NULL,
    high     REAL    NOT NULL
);
CREATE INDEX ix_idx_number_value ON idx_number (param_id, value, sid);
CREATE INDEX ix_idx_number_sid ON idx_number (sid);

CREATE TABLE idx_quantity (
    sid      INTEGER NOT NULL,
    param_id INTEGER NOT NULL,
    system   TEXT,
    code     TEXT,
    unit     TEXT,
    value    REAL    NOT NULL,
    low      REAL    NOT NULL,
    high     REAL    NOT NULL
);
CREATE INDEX ix_idx_quantity_value ON idx_quantity (param_id, value, sid);
CREATE INDEX ix_idx_quantity_sid ON idx_quantity (sid);

CREATE TABLE idx_uri (
    sid      INTEGER NOT NULL,
    param_id INTEGER NOT NULL,
    uri      TEXT    NOT NULL
);
CREATE INDEX ix_idx_uri_value ON idx_uri (param_id, uri, sid);
CREATE INDEX ix_idx_uri_sid ON idx_uri (sid);
