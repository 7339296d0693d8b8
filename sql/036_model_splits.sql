-- pgai_magic A/B splits: traffic of one model divided between versions by a hash of a key.
CREATE TABLE IF NOT EXISTS pgai.model_splits (
    name        text PRIMARY KEY,
    versions    integer[] NOT NULL,      -- the versions served, in order
    weights     integer[] NOT NULL,      -- their relative weights (same length)
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(versions) = cardinality(weights) AND cardinality(versions) >= 2)
);
COMMENT ON TABLE pgai.model_splits IS 'pgai_magic: pgai.variant_NAME(key) picks a version; predict_NAME_split routes to it';
