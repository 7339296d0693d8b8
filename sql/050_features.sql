-- pgai_magic feature views and point-in-time training sets.
-- Every row records the user relations it reads (`sources`); row-level security (053_derived_rows_sources) shows a
-- row only to a role that may read every one of them (pgai.sources_readable, 040_source_privileges), so nobody sees
-- through pgai's tables what they could not read in the source tables.

-- a named, versioned feature view: the entity and time columns of a read query and the features it returns
CREATE TABLE IF NOT EXISTS pgai.feature_views (
    name            text NOT NULL,
    version         integer NOT NULL CHECK (version > 0),
    entity          text NOT NULL,                  -- the join key of the labels (e.g. customer_id)
    time_column     text NOT NULL,                  -- when a feature row became true (event time)
    created_column  text,                           -- breaks ties between rows of one entity and time (latest wins)
    query           text NOT NULL,                  -- the read query (SELECT * FROM T for a view over a table)
    features        jsonb NOT NULL,                 -- [{"name": ..., "type": ...}] in the query's order
    description     text,
    sources         regclass[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      name NOT NULL DEFAULT current_user,
    PRIMARY KEY (name, version)
);
COMMENT ON TABLE pgai.feature_views IS 'pgai_magic: feature views (versioned); %pgai features lists them';

-- what each point-in-time training set was built from (labels, views and versions, ttl, where it went)
CREATE TABLE IF NOT EXISTS pgai.training_sets (
    id              bigserial PRIMARY KEY,
    labels          text NOT NULL,                  -- the labels query
    label_time      text NOT NULL,                  -- its time column
    views           jsonb NOT NULL,                 -- [{"name", "version", "features": [...]}]
    ttl             text,                           -- a feature row older than this before the label is not used
    strategy        text NOT NULL,                  -- lateral or sweep
    target          text,                           -- the table it was written to (NULL: returned or trained on)
    n_rows          bigint,
    sources         regclass[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE pgai.training_sets IS 'pgai_magic: point-in-time training sets and what they were built from';
