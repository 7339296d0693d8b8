-- Embeddings v2: several columns through a template, chunks of long texts, full-text search for hybrid search.

-- source_column is the embedding's name: the column itself, or --name of a template over several columns.
ALTER TABLE pgai.embedded_columns
    ADD COLUMN IF NOT EXISTS source_columns name[],
    ADD COLUMN IF NOT EXISTS template       text,
    ADD COLUMN IF NOT EXISTS chunk_tokens   integer CHECK (chunk_tokens > 0),
    ADD COLUMN IF NOT EXISTS chunk_overlap  integer CHECK (chunk_overlap >= 0),
    ADD COLUMN IF NOT EXISTS text_search    regconfig NOT NULL DEFAULT 'english',
    ADD COLUMN IF NOT EXISTS layout         integer NOT NULL DEFAULT 1;
UPDATE pgai.embedded_columns SET source_columns = ARRAY[source_column] WHERE source_columns IS NULL;
ALTER TABLE pgai.embedded_columns ALTER COLUMN source_columns SET NOT NULL;
COMMENT ON COLUMN pgai.embedded_columns.layout IS
    'store table layout: 1 = one vector per row (pgai_magic < 0.2), 2 = chunks with text and tsvector';

-- Layout 2 store: the key columns, chunk (0, 1, ... in text order), chunk_start / chunk_end (character
-- offsets in the embedded text), chunk_text (NULL when the whole text is one chunk), "<name>_embedding",
-- text_search (tsvector of the chunk), embedded_at, writes.
--
-- Trigger arguments: queue table, the text columns as a JSON array (or one column name), key columns
-- as a JSON array, store table. A row is queued when any of its text columns changes.
CREATE OR REPLACE FUNCTION pgai.embedding_sync() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    queue   text := TG_ARGV[0];
    cols    text[] := CASE WHEN left(TG_ARGV[1], 1) = '['
                           THEN ARRAY(SELECT jsonb_array_elements_text(TG_ARGV[1]::jsonb))
                           ELSE ARRAY[TG_ARGV[1]] END;
    keys    text[] := ARRAY(SELECT jsonb_array_elements_text(TG_ARGV[2]::jsonb));
    store   text := TG_ARGV[3];
    key_list text := (SELECT string_agg(format('%I', k), ', ') FROM unnest(keys) AS k);
    n_keys  text := (SELECT string_agg(format('n.%I', k), ', ') FROM unnest(keys) AS k);
    o_keys  text := (SELECT string_agg(format('o.%I', k), ', ') FROM unnest(keys) AS k);
    same    text := (SELECT string_agg(format('o.%1$I = n.%1$I', k), ' AND ') FROM unnest(keys) AS k);
    has_text text := (SELECT string_agg(format('btrim(n.%I::text) <> %L', c, ''), ' OR ') FROM unnest(cols) AS c);
    changed text := (SELECT string_agg(format('o.%1$I IS DISTINCT FROM n.%1$I', c), ' OR ') FROM unnest(cols) AS c);
    upsert  text := format(' ON CONFLICT (%s) DO UPDATE SET enqueued_at = excluded.enqueued_at', key_list);
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('INSERT INTO pgai.%I (%s) SELECT %s FROM pgai_new n WHERE %s',
                       queue, key_list, n_keys, has_text) || upsert;
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE format('INSERT INTO pgai.%I (%s) '
                       'SELECT %s FROM pgai_new n LEFT JOIN pgai_old o ON %s '
                       ' WHERE o.%I IS NULL OR %s '
                       'UNION SELECT %s FROM pgai_old o WHERE NOT EXISTS (SELECT FROM pgai_new n WHERE %s)',
                       queue, key_list, n_keys, same, keys[1], changed, o_keys, same) || upsert;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('INSERT INTO pgai.%I (%s) SELECT %s FROM pgai_old o', queue, key_list, o_keys) || upsert;
    ELSIF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('TRUNCATE pgai.%I, pgai.%I', store, queue);
        RETURN NULL;
    END IF;
    PERFORM pg_notify('pgai_embedding', store);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION pgai.embedding_sync() IS 'pgai_magic: queues changed rows of an embedded column or template';

-- Several models per column side by side: one registry row (and side tables) per model; `active` marks the
-- one `similar` uses by default (a new model becomes active once its vectors are complete).
ALTER TABLE pgai.embedded_columns ADD COLUMN IF NOT EXISTS active boolean NOT NULL DEFAULT true;
ALTER TABLE pgai.embedded_columns DROP CONSTRAINT IF EXISTS embedded_columns_source_schema_source_table_source_column_key;
CREATE UNIQUE INDEX IF NOT EXISTS embedded_columns_source_model
    ON pgai.embedded_columns (source_schema, source_table, source_column, model);
CREATE UNIQUE INDEX IF NOT EXISTS embedded_columns_one_active
    ON pgai.embedded_columns (source_schema, source_table, source_column) WHERE active;
