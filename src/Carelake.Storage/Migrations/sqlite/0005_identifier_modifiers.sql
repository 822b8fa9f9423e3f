-- :identifier on references (Reference.identifier) and :of-type on identifiers (Identifier.type).
ALTER TABLE idx_reference ADD COLUMN identifier_system TEXT;
ALTER TABLE idx_reference ADD COLUMN identifier_value TEXT;
CREATE INDEX ix_idx_reference_identifier ON idx_reference (param_id, identifier_value, sid) WHERE identifier_value IS NOT NULL;
ALTER TABLE idx_token ADD COLUMN type_system TEXT;
ALTER TABLE idx_token ADD COLUMN type_code TEXT;
