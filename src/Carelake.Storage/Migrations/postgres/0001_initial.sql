-- Carelake schema v1 (PostgreSQL): the same tables as the SQLite provider (docs/storage.md), so one search translator
-- serves both. Times are UTC ticks (100 ns since 0001-01-01) in bigint, so range predicates are integer compares.
-- Text that is compared or sorted uses the "C" collation: byte order, the same as SQLite's binary collation, and the
-- order the prefix ranges of string search assume (value >= 'smi' AND value < 'smj').

CREATE TABLE resource (
    sid          bigserial PRIMARY KEY,
    type         text COLLATE "C" NOT NULL,
    id           text COLLATE "C" NOT NULL,
    version      bigint   NOT NULL,
    rid          bigint   NOT NULL,
    deleted      smallint NOT NULL,
    last_updated bigint   NOT NULL,
    UNIQUE (type, id)
);
CREATE INDEX ix_resource_type ON resource (type, sid);
CREATE INDEX ix_resource_type_last_updated ON resource (type, last_updated);

-- payload: the exact UTF-8 JSON returned to clients, as bytea (not jsonb: jsonb re-orders keys and drops
-- whitespace, so reads would have to re-serialise). Large payloads are compressed by TOAST (see docs/postgresql.md).
CREATE TABLE resource_version (
    rid          bigserial PRIMARY KEY,
    sid          bigint NOT NULL,
    version      bigint NOT NULL,
    last_updated bigint NOT NULL,
    method       text   NOT NULL,
    payload      bytea,
    UNIQUE (sid, version)
);
CREATE INDEX ix_resource_version_last_updated ON resource_version (last_updated);

CREATE TABLE search_param (
    param_id      serial PRIMARY KEY,
    resource_type text COLLATE "C" NOT NULL,
    code          text COLLATE "C" NOT NULL,
    kind          text NOT NULL,
    url           text NOT NULL,
    UNIQUE (resource_type, code)
);

CREATE TABLE idx_string (
    sid         bigint  NOT NULL,
    param_id    integer NOT NULL,
    value_norm  text COLLATE "C" NOT NULL,
    value_exact text COLLATE "C" NOT NULL
);
CREATE INDEX ix_idx_string_value ON idx_string (param_id, value_norm, sid);
CREATE INDEX ix_idx_string_exact ON idx_string (param_id, value_exact);
CREATE INDEX ix_idx_string_sid ON idx_string (sid, param_id);

CREATE TABLE idx_token (
    sid         bigint  NOT NULL,
    param_id    integer NOT NULL,
    system      text COLLATE "C",
    code        text COLLATE "C",
    text        text COLLATE "C",
    type_system text COLLATE "C",
    type_code   text COLLATE "C"
);
CREATE INDEX ix_idx_token_code ON idx_token (param_id, code, system, sid);
CREATE INDEX ix_idx_token_sid ON idx_token (sid, param_id);

CREATE TABLE idx_reference (
    sid               bigint  NOT NULL,
    param_id          integer NOT NULL,
    target_type       text COLLATE "C",
    target_id         text COLLATE "C",
    target_version    text COLLATE "C",
    url               text COLLATE "C",
    identifier_system text COLLATE "C",
    identifier_value  text COLLATE "C"
);
CREATE INDEX ix_idx_reference_target ON idx_reference (param_id, target_id, target_type, sid);
CREATE INDEX ix_idx_reference_url ON idx_reference (param_id, url) WHERE url IS NOT NULL;
CREATE INDEX ix_idx_reference_identifier ON idx_reference (param_id, identifier_value, sid) WHERE identifier_value IS NOT NULL;
CREATE INDEX ix_idx_reference_sid ON idx_reference (sid, param_id);

CREATE TABLE idx_date (
    sid      bigint  NOT NULL,
    param_id integer NOT NULL,
    low      bigint  NOT NULL,
    high     bigint  NOT NULL
);
CREATE INDEX ix_idx_date_low ON idx_date (param_id, low, high, sid);
CREATE INDEX ix_idx_date_high ON idx_date (param_id, high, sid);
CREATE INDEX ix_idx_date_sid ON idx_date (sid, param_id);

CREATE TABLE idx_number (
    sid      bigint  NOT NULL,
    param_id integer NOT NULL,
    value    double precision NOT NULL,
    low      double precision NOT NULL,
    high     double precision NOT NULL
);
CREATE INDEX ix_idx_number_value ON idx_number (param_id, value, sid);
CREATE INDEX ix_idx_number_sid ON idx_number (sid, param_id);

CREATE TABLE idx_quantity (
    sid         bigint  NOT NULL,
    param_id    integer NOT NULL,
    system      text COLLATE "C",
    code        text COLLATE "C",
    unit        text COLLATE "C",
    value       double precision NOT NULL,
    low         double precision NOT NULL,
    high        double precision NOT NULL,
    canon_code  text COLLATE "C",
    canon_value double precision
);
CREATE INDEX ix_idx_quantity_value ON idx_quantity (param_id, value, sid);
CREATE INDEX ix_idx_quantity_canonical ON idx_quantity (param_id, canon_code, canon_value, sid) WHERE canon_code IS NOT NULL;
CREATE INDEX ix_idx_quantity_sid ON idx_quantity (sid, param_id);

CREATE TABLE idx_uri (
    sid      bigint  NOT NULL,
    param_id integer NOT NULL,
    uri      text COLLATE "C" NOT NULL
);
CREATE INDEX ix_idx_uri_value ON idx_uri (param_id, uri, sid);
CREATE INDEX ix_idx_uri_sid ON idx_uri (sid, param_id);

CREATE TABLE idx_composite (
    sid         bigint  NOT NULL,
    param_id    integer NOT NULL,
    tuple       bigint  NOT NULL,
    position    integer NOT NULL,
    system      text COLLATE "C",
    code        text COLLATE "C",
    text        text COLLATE "C",
    value_norm  text COLLATE "C",
    value_exact text COLLATE "C",
    target_type text COLLATE "C",
    target_id   text COLLATE "C",
    url         text COLLATE "C",
    uri         text COLLATE "C",
    unit        text COLLATE "C",
    value       double precision,
    low         bigint,
    high        bigint,
    canon_code  text COLLATE "C",
    canon_value double precision
);
CREATE INDEX ix_idx_composite_code ON idx_composite (param_id, position, code, sid, tuple);
CREATE INDEX ix_idx_composite_sid ON idx_composite (sid, param_id, tuple, position);

-- _text and _content: text folded like SQLite FTS5's unicode61 tokenizer (FullTextFolding), as tsvectors with GIN.
CREATE TABLE resource_text (
    sid       bigint PRIMARY KEY,
    narrative tsvector NOT NULL,
    content   tsvector NOT NULL
);
CREATE INDEX ix_resource_text_narrative ON resource_text USING gin (narrative);
CREATE INDEX ix_resource_text_content ON resource_text USING gin (content);

CREATE TABLE contained_resource (
    sid           bigint PRIMARY KEY,
    container_sid bigint NOT NULL,
    type          text COLLATE "C" NOT NULL,
    id            text COLLATE "C" NOT NULL,
    deleted       smallint NOT NULL DEFAULT 0,
    last_updated  bigint NOT NULL
);
CREATE INDEX ix_contained_resource_container ON contained_resource (container_sid);
CREATE INDEX ix_contained_resource_type ON contained_resource (type, sid);

CREATE TABLE job (
    id         text   PRIMARY KEY,
    kind       text   NOT NULL,
    status     text   NOT NULL,
    request    text   NOT NULL,
    cursor     bigint NOT NULL DEFAULT 0,
    processed  bigint NOT NULL DEFAULT 0,
    total      bigint,
    created    bigint NOT NULL,
    updated    bigint NOT NULL,
    error      text
);
CREATE INDEX ix_job_status ON job (status, created);

