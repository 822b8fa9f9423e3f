-- Contained resources (contained[] of a stored resource), for _contained searches and chains into them. Each gets a
-- negative surrogate id, -(container_sid * 1024 + position), under which its values sit in the ordinary index tables:
-- every search joins index rows to resource or contained_resource, so the two sets never mix, and the rows of one
-- container are one sid range (deleted together when the container changes). deleted and last_updated mirror
-- resource so the same search SQL applies to both tables.
CREATE TABLE contained_resource (
    sid           INTEGER PRIMARY KEY,
    container_sid INTEGER NOT NULL,
    type          TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0,
    last_updated  INTEGER NOT NULL
);
CREATE INDEX ix_contained_resource_container ON contained_resource (container_sid);
CREATE INDEX ix_contained_resource_type ON contained_resource (type, sid);
