-- The directory's version: moved in the same transaction as every write to a unit or a
-- person (the write path does it when a change names one), so that a reader keeping facts
-- about units and people (the coach's whole-cycle review: team sizes, unit names, policies
-- along the unit tree) knows when to read them again. Check-ins and KPI points never move it.
CREATE TABLE directory (version BIGINT NOT NULL);
INSERT INTO directory (version) VALUES (0);
