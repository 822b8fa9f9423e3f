-- Per-resource probes (EXISTS … WHERE sid = ? AND param_id = ?) seek on both columns; the search SQL names these
-- indexes (INDEXED BY) so SQLite never probes through a value index instead.
DROP INDEX ix_idx_string_sid;
CREATE INDEX ix_idx_string_sid ON idx_string (sid, param_id);
DROP INDEX ix_idx_token_sid;
CREATE INDEX ix_idx_token_sid ON idx_token (sid, param_id);
DROP INDEX ix_idx_reference_sid;
CREATE INDEX ix_idx_reference_sid ON idx_reference (sid, param_id);
DROP INDEX ix_idx_date_sid;
CREATE INDEX ix_idx_date_sid ON idx_date (sid, param_id);
DROP INDEX ix_idx_number_sid;
CREATE INDEX ix_idx_number_sid ON idx_number (sid, param_id);
DROP INDEX ix_idx_quantity_sid;
CREATE INDEX ix_idx_quantity_sid ON idx_quantity (sid, param_id);
DROP INDEX ix_idx_uri_sid;
CREATE INDEX ix_idx_uri_sid ON idx_uri (sid, param_id);
