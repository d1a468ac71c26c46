-- Pilots with any number of arms (issue 14): what each arm changes in how
-- its debtors are contacted, the order arms were declared in (control
-- first), the metric the pilot is decided on and its guardrails, and
-- rollouts that make an arm the default while a holdout keeps measuring.

-- The arm's variant as JSON (acuerdo.Variant); '' for control and for the
-- classic treatment arm, which change nothing.
ALTER TABLE experiment_arms ADD COLUMN variant TEXT NOT NULL DEFAULT '';
ALTER TABLE experiment_arms ADD COLUMN position INTEGER NOT NULL DEFAULT 0;

-- The primary metric and the guardrail metrics (comma-separated), chosen at
-- creation so the decision is not picked after the fact.
ALTER TABLE experiments ADD COLUMN primary_metric TEXT NOT NULL DEFAULT '';
ALTER TABLE experiments ADD COLUMN guardrails TEXT NOT NULL DEFAULT '';

-- A rollout makes arm the default for the experiment's debtors in segment
-- ('' for all of them), except a randomised holdout share that stays in
-- control so the comparison continues. The latest rollout of a segment wins.
CREATE TABLE experiment_rollouts (
    id            INTEGER PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments (id),
    segment       TEXT NOT NULL DEFAULT '',
    arm           TEXT NOT NULL,
    holdout       DOUBLE PRECISION NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX experiment_rollouts_experiment ON experiment_rollouts (experiment_id, segment);
