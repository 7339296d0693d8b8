-- pgai_magic base schema: the home of everything the package keeps in the database.
CREATE SCHEMA IF NOT EXISTS pgai;
COMMENT ON SCHEMA pgai IS 'pgai_magic: embeddings queue, question memory, model registry, settings';

CREATE TABLE IF NOT EXISTS pgai.settings (
    key   text PRIMARY KEY,
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
