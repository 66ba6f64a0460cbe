-- Nothing to create on SQLite: `PRAGMA data_version` moves with every commit, from any
-- connection or process (see SqliteStore::token). The file keeps both trees in step.
SELECT 1;
