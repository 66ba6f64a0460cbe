-- The counterweight rule asks, per speed or volume KPI, whether another KPI names it as its
-- counterweight: an index lookup, not a read of every KPI.
CREATE INDEX kpis_counterweight ON kpis(counterweight_id);
