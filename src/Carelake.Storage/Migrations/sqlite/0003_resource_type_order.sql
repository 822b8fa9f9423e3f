-- Resources of one type in sid order (the implicit rowid suffix), so an unfiltered type search pages without a sort.
CREATE INDEX ix_resource_type ON resource (type);
