-- pgai_magic monitoring: training references for drift tests, schedules, alerts, and the models' lineage.
-- New rows carry the user relations they derive from (`sources`) under row-level security (053_derived_rows_sources).

-- the feature views and versions a model was trained on, and its training set
ALTER TABLE pgai.models ADD COLUMN IF NOT EXISTS lineage jsonb;

-- per feature of a model version: the training values (numbers: distinct values and counts) or category counts,
-- the reference of the KS and chi-square drift tests
CREATE TABLE IF NOT EXISTS pgai.model_reference (
    name            text NOT NULL,
    version         integer NOT NULL,
    feature         text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('numeric', 'categorical')),
    "values"        float8[],                       -- numeric: the distinct training values, ascending
    categories      text[],                         -- categorical: the categories
    counts          bigint[] NOT NULL,              -- how often each value / category occurs
    n               bigint NOT NULL,                -- non-NULL values kept (the sum of counts)
    rows_seen       bigint NOT NULL,                -- training rows (more than n when a sample was kept)
    sources         regclass[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (name, version, feature),
    FOREIGN KEY (name, version) REFERENCES pgai.models (name, version) ON DELETE CASCADE
);

-- scheduled monitoring: `python -m pgai_magic worker` claims due rows with FOR UPDATE SKIP LOCKED
CREATE TABLE IF NOT EXISTS pgai.monitor_schedules (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL,                  -- the model (its active version at each run)
    actual          text NOT NULL,                  -- the read query: features and the outcome, or key and outcome
    target          text NOT NULL DEFAULT 'actual', -- the outcome column of `actual`
    log_key         text,                           -- set: compare the prediction log (by this key) with `actual`
    log_days        integer,                        -- with log_key: the last N days of the log
    every           interval NOT NULL CHECK (every > interval '0'),
    alert           text,                           -- the alert rule as written (e.g. psi > 0.25 or auc < 0.75)
    next_run        timestamptz NOT NULL DEFAULT now(),
    last_run        timestamptz,
    last_error      text,
    runs            integer NOT NULL DEFAULT 0,
    enabled         boolean NOT NULL DEFAULT true,
    sources         regclass[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      name NOT NULL DEFAULT current_user
);
CREATE INDEX IF NOT EXISTS monitor_schedules_due ON pgai.monitor_schedules (next_run) WHERE enabled;

ALTER TABLE pgai.model_monitoring ADD COLUMN IF NOT EXISTS schedule_id bigint
    REFERENCES pgai.monitor_schedules (id) ON DELETE SET NULL;
ALTER TABLE pgai.model_monitoring ADD COLUMN IF NOT EXISTS sources regclass[] NOT NULL DEFAULT '{}';
ALTER TABLE pgai.model_monitoring ADD COLUMN IF NOT EXISTS alert_id bigint;  -- the alert this run raised (or repeated)

-- a breached alert rule: one open alert per schedule (a repeat counts an occurrence) until acknowledged
CREATE TABLE IF NOT EXISTS pgai.alerts (
    id              bigserial PRIMARY KEY,
    schedule_id     bigint REFERENCES pgai.monitor_schedules (id) ON DELETE CASCADE,
    run_id          bigint REFERENCES pgai.model_monitoring (id) ON DELETE SET NULL,
    name            text NOT NULL,
    version         integer NOT NULL,
    rule            text NOT NULL,
    message         text NOT NULL,
    observed        jsonb NOT NULL,                 -- the metrics the rule read
    raised_at       timestamptz NOT NULL DEFAULT now(),
    last_seen       timestamptz NOT NULL DEFAULT now(),
    occurrences     integer NOT NULL DEFAULT 1,
    acknowledged_at timestamptz,
    acknowledged_by name,
    sources         regclass[] NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS alerts_open ON pgai.alerts (raised_at) WHERE acknowledged_at IS NULL;
COMMENT ON TABLE pgai.alerts IS 'pgai_magic: breached monitoring rules; %pgai alerts lists the open ones';
