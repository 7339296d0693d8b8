-- pgai_magic model registry: fitted scikit-learn models deployed as plain SQL functions.
CREATE TABLE IF NOT EXISTS pgai.models (
    name            text NOT NULL,
    version         integer NOT NULL CHECK (version > 0),
    algorithm       text NOT NULL,
    pipeline        text NOT NULL,
    task            text NOT NULL CHECK (task IN ('classification', 'regression')),
    features        jsonb NOT NULL,          -- [{"name": ..., "type": "float8" | "text" | "boolean"}]
    target          text,
    classes         jsonb,                   -- class labels in sklearn's order (classifiers)
    label_type      text NOT NULL,           -- SQL type of pgai.predict_NAME
    proba_type      text,                    -- SQL type of pgai.predict_proba_NAME (classifiers)
    sklearn_version text NOT NULL,
    metrics         jsonb NOT NULL DEFAULT '{}',
    profile         jsonb,                   -- training distribution snapshot for drift (PSI)
    model           bytea NOT NULL,          -- joblib bytes of the fitted estimator
    functions       jsonb NOT NULL,          -- {"predict": "pgai.predict_x_v2", "predict_proba": ...}
    created_at      timestamptz NOT NULL DEFAULT now(),
    active          boolean NOT NULL DEFAULT false,
    PRIMARY KEY (name, version)
);
CREATE UNIQUE INDEX IF NOT EXISTS models_one_active ON pgai.models (name) WHERE active;
COMMENT ON TABLE pgai.models IS 'pgai_magic: deployed models; pgai.predict_NAME calls the active version';

CREATE TABLE IF NOT EXISTS pgai.model_monitoring (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    version     integer NOT NULL,
    checked_at  timestamptz NOT NULL DEFAULT now(),
    n_rows      bigint NOT NULL,
    metrics     jsonb NOT NULL,
    drift       jsonb NOT NULL,
    FOREIGN KEY (name, version) REFERENCES pgai.models (name, version) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS model_monitoring_name ON pgai.model_monitoring (name, checked_at);

-- softmax of a score vector (multiclass probabilities); NULL when a score is NULL.
-- exp's argument is clamped at -700 so PostgreSQL's exp cannot underflow (CASE, not GREATEST: NULL stays NULL).
CREATE OR REPLACE FUNCTION pgai.softmax(scores float8[]) RETURNS float8[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN count(e) = count(*) THEN array_agg(e / s ORDER BY i) END
    FROM (SELECT i, e, sum(e) OVER () AS s
          FROM (SELECT i, exp(CASE WHEN v - max(v) OVER () < -700 THEN -700 ELSE v - max(v) OVER () END) AS e
                FROM unnest(scores) WITH ORDINALITY AS u(v, i)) AS a) AS b
$$;
