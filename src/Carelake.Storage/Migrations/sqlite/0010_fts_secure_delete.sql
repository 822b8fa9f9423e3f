-- Deleting or replacing a resource's full-text row removes its words from the FTS5 index at once, instead of leaving
-- them in index segments until a merge: text that was updated away or erased is gone from the file.
INSERT INTO resource_text (resource_text, rank) VALUES ('secure-delete', 1);
