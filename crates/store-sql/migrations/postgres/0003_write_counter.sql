-- A counter each server moves after every committed write; list-page caches stay valid
-- while it stands still (see PgStore::token).
CREATE SEQUENCE quarterdeck_writes;
