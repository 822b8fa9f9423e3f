-- The full-text index (_text, _content) moves to a file of its own (carelake.db-text), kept by a thread of its own
-- (SqliteTextIndex). Its rows are derived from the resources and rebuilt after a crash from those written since the
-- last version it applied; an erased resource has no version left to say so, so its sid is kept here until the next
-- start has made sure its words are gone from the index file.
CREATE TABLE text_erased (sid INTEGER PRIMARY KEY);
