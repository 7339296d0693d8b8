-- pgai_magic prediction log: one row per scored row (model score, split scoring), unless scored with --no-log,
-- so that monitoring compares recent predictions with the outcomes that arrive later, by version.
CREATE TABLE IF NOT EXISTS pgai.prediction_log (
    name            text NOT NULL,
    version         integer NOT NULL,               -- the version that predicted
    variant         integer,                        -- the split's variant (the version it chose) when scored by a split
    key             text,                           -- the scored row's key, as text
    prediction      text,                           -- the prediction, as text (read back in the model's label type)
    predicted_at    timestamptz NOT NULL DEFAULT now(),
    sources         regclass[] NOT NULL DEFAULT '{}'
);
-- BRIN: the log is appended in time order, and a block range index costs scoring little (a btree on (name, time)
-- doubled `model score`'s time at 300k rows; this adds 60 %, bench/bench_prediction_log.py)
CREATE INDEX IF NOT EXISTS prediction_log_recent ON pgai.prediction_log USING brin (predicted_at);
COMMENT ON TABLE pgai.prediction_log IS 'pgai_magic: predictions of model score, by model, version and time';
