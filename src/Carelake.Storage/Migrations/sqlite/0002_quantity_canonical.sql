-- UCUM canonical form of quantities, so 5.4 mg and 5400 ug match each other (search on canon_code + canon_value).
ALTER TABLE idx_quantity ADD COLUMN canon_code TEXT;
ALTER TABLE idx_quantity ADD COLUMN canon_value REAL;
CREATE INDEX ix_idx_quantity_canonical ON idx_quantity (param_id, canon_code, canon_value, sid) WHERE canon_code IS NOT NULL;
