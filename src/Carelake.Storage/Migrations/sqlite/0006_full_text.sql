-- _text (narrative) and _content (all text of the resource): FTS5, one row per current resource (rowid = sid).
-- remove_diacritics 2 makes matching accent-insensitive, like string search.
CREATE VIRTUAL TABLE resource_text USING fts5(narrative, content, tokenize = 'unicode61 remove_diacritics 2');
