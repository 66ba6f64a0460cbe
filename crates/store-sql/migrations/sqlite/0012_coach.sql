-- The coach (issue 15): how often an objective's title or description changed while its
-- cycle ran, kept by the write path so the "rewritten too often" rule reads one column
-- instead of the audit log.
ALTER TABLE objectives ADD COLUMN rewrites INTEGER NOT NULL DEFAULT 0;
