-- Embeddings: the registry of embedded columns, the sync trigger function and the pgai.embed() placeholder.

-- One row per embedded column. Its vectors live in pgai.<store_table> (the key columns of the source
-- table, "<column>_embedding" vector(dim), embedded_at, writes); rows waiting to be embedded are in
-- pgai.<queue_table> (the key columns, enqueued_at).
CREATE TABLE IF NOT EXISTS pgai.embedded_columns (
    id            serial PRIMARY KEY,
    source_schema name NOT NULL,
    source_table  name NOT NULL,
    source_column name NOT NULL,
    key_columns   name[] NOT NULL,
    key_types     text[] NOT NULL,
    source_oid    oid NOT NULL,
    store_table   name NOT NULL UNIQUE,
    queue_table   name NOT NULL UNIQUE,
    model         text NOT NULL,
    dim           integer NOT NULL CHECK (dim > 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_schema, source_table, source_column)
);
COMMENT ON TABLE pgai.embedded_columns IS
    'pgai_magic: columns embedded by %pgai embed (vectors in pgai.<store_table>, pending keys in pgai.<queue_table>)';

-- Statement-level trigger on a source table (one per event, transition tables pgai_old / pgai_new).
-- Arguments: queue table, text column, key columns as a JSON array, store table (all names in pgai).
-- Inserted rows with text, updated rows whose text or key changed, and deleted rows are queued;
-- a worker embeds them (or removes the vector when the row or its text is gone).
CREATE OR REPLACE FUNCTION pgai.embedding_sync() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    queue   text := TG_ARGV[0];
    col     text := TG_ARGV[1];
    keys    text[] := ARRAY(SELECT jsonb_array_elements_text(TG_ARGV[2]::jsonb));
    store   text := TG_ARGV[3];
    key_list text := (SELECT string_agg(format('%I', k), ', ') FROM unnest(keys) AS k);
    n_keys  text := (SELECT string_agg(format('n.%I', k), ', ') FROM unnest(keys) AS k);
    o_keys  text := (SELECT string_agg(format('o.%I', k), ', ') FROM unnest(keys) AS k);
    same    text := (SELECT string_agg(format('o.%1$I = n.%1$I', k), ' AND ') FROM unnest(keys) AS k);
    upsert  text := format(' ON CONFLICT (%s) DO UPDATE SET enqueued_at = excluded.enqueued_at', key_list);
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('INSERT INTO pgai.%I (%s) SELECT %s FROM pgai_new n WHERE btrim(n.%I) <> %L',
                       queue, key_list, n_keys, col, '') || upsert;
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE format('INSERT INTO pgai.%I (%s) '
                       'SELECT %s FROM pgai_new n LEFT JOIN pgai_old o ON %s '
                       ' WHERE o.%I IS NULL OR o.%I IS DISTINCT FROM n.%I '
                       'UNION SELECT %s FROM pgai_old o WHERE NOT EXISTS (SELECT FROM pgai_new n WHERE %s)',
                       queue, key_list, n_keys, same, keys[1], col, col, o_keys, same) || upsert;
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
COMMENT ON FUNCTION pgai.embedding_sync() IS 'pgai_magic: queues changed rows of an embedded column';

-- pgai.embed('text') is computed by pgai_magic in the notebook and bound as a parameter; reaching the
-- server means it was used outside a pgai_magic cell, which this placeholder explains.
DO $do$
BEGIN
    IF to_regtype('vector') IS NOT NULL THEN
        EXECUTE $sql$
        CREATE OR REPLACE FUNCTION pgai.embed(query text) RETURNS vector
        LANGUAGE plpgsql STABLE AS $fn$
        BEGIN
            RAISE EXCEPTION 'pgai.embed() only works in pgai_magic cells'
                USING HINT = 'pgai_magic replaces pgai.embed(''text'') with the embedding computed in the notebook '
                             '(%%pgai cells, session.sql); to embed a column use %pgai embed table.column',
                      ERRCODE = 'feature_not_supported';
        END
        $fn$;
        COMMENT ON FUNCTION pgai.embed(text) IS 'pgai_magic: query-time embedding, computed in the notebook';
        $sql$;
    END IF;
END
$do$;
