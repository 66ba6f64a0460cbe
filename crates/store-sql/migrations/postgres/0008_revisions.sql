-- An objective's revision moves with every write to what its view shows: the objective, its
-- key results (check-ins, edits, KPI values), its score and its roll-up. List pages keep each
-- objective's view ready and check these numbers, one small query per page, to know which
-- views a write made stale (per record, on every server sharing the database).
ALTER TABLE objectives ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
