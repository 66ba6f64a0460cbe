-- Natural keys: objectives and key results get a key unique within their cycle, so files and
-- URLs can name them (units have slugs, KPIs keys). Rows from before get a key from their id.
ALTER TABLE objectives ADD COLUMN key TEXT;
UPDATE objectives SET key = 'objective-' || substr(id, 25, 12);
CREATE UNIQUE INDEX objectives_cycle_key ON objectives(cycle_id, key);

-- A key result's cycle is its objective's, kept beside it for the key's uniqueness.
ALTER TABLE key_results ADD COLUMN cycle_id TEXT;
ALTER TABLE key_results ADD COLUMN key TEXT;
UPDATE key_results SET
    cycle_id = (SELECT o.cycle_id FROM objectives o WHERE o.id = key_results.objective_id),
    key = 'kr-' || substr(id, 25, 12);
CREATE UNIQUE INDEX key_results_cycle_key ON key_results(cycle_id, key);
