-- Long-running jobs ($reindex, later bulk export/import): durable state so a restart resumes them.
CREATE TABLE job (
    id         TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    request    TEXT    NOT NULL,
    cursor     INTEGER NOT NULL DEFAULT 0,
    processed  INTEGER NOT NULL DEFAULT 0,
    total      INTEGER,
    created    INTEGER NOT NULL,
    updated    INTEGER NOT NULL,
    error      TEXT
);
CREATE INDEX ix_job_status ON job (status, created);
