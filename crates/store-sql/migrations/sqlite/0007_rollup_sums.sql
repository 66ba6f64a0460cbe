-- Roll-ups kept as running sums (Σ weight and Σ weight × score of the contributing, not
-- retired children), so a child's new score moves its parents without re-reading siblings.
ALTER TABLE objectives ADD COLUMN rollup_weight DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE objectives ADD COLUMN rollup_sum DOUBLE PRECISION NOT NULL DEFAULT 0;
UPDATE objectives SET
    rollup_weight = COALESCE((SELECT SUM(a.weight) FROM alignments a JOIN objectives c ON c.id = a.child_id
        WHERE a.parent_objective_id = objectives.id AND a.kind = 'contributes' AND c.status <> 'retired'), 0),
    rollup_sum = COALESCE((SELECT SUM(a.weight * c.score) FROM alignments a JOIN objectives c ON c.id = a.child_id
        WHERE a.parent_objective_id = objectives.id AND a.kind = 'contributes' AND c.status <> 'retired'), 0);
