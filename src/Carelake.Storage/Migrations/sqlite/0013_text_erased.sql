-- The full-text index (_text, _content) moves to a file of its own (carelake.db-text), kept by a thread of its own
-- (SqliteTextIndex). Its rows are derived from the resources and rebuilt after a crash from those written since the
-- last version it applied; an erased resource has no version left to say so, so its sid is kept here until the next
-- start has made sure its words are gone from the index file. rescan_after is the newest rid left once it was erased:
-- SQLite numbers new rows from the largest remaining rowid, so rows written after an erasure of the newest ones may
-- reuse rids (and sids) the index has already seen, and the next start re-extracts everything above it.
CREATE TABLE text_erased (sid INTEGER PRIMARY KEY, rescan_after INTEGER NOT NULL);
