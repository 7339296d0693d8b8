-- Source privileges: what pgai keeps about a relation is shown only to a role that may read that relation.

-- pgai.sources_readable(sources): true when the current role may read every listed relation: USAGE on its schema
-- and SELECT on the table (column grants alone do not count). A dropped relation counts as unreadable; an empty or
-- NULL list is readable. Tables that keep results derived from relations carry a `sources regclass[]` column and
-- the policy `USING (pgai.sources_readable(sources))`.
CREATE OR REPLACE FUNCTION pgai.sources_readable(sources regclass[]) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(bool_and(coalesce(
           (SELECT pg_catalog.has_schema_privilege(c.relnamespace, 'USAGE')
                   AND pg_catalog.has_table_privilege(c.oid, 'SELECT')
              FROM pg_catalog.pg_class AS c WHERE c.oid = s), false)), true)
    FROM pg_catalog.unnest(sources) AS s
$$;
COMMENT ON FUNCTION pgai.sources_readable(regclass[]) IS
    'pgai_magic: whether the current role may read every listed relation (USAGE on its schema, SELECT on it)';

-- Side tables of embedded columns (pgai.<store_table>, pgai.<queue_table>) follow their source: row-level security,
-- forced on their owner too. A role reads a store row when it may read the source's embedded and key columns (a
-- test on constants, made once per query) and, when row-level security of the source filters this role, when it
-- sees the row of the same key in the source. A role reads a queue (keys waiting to be embedded) when it may read
-- those columns or write the source (its writes queue rows). Writing is left to the GRANTs.

-- USAGE on the schema of `source` and SELECT on each of `columns` (or the whole table); false once it is dropped.
CREATE OR REPLACE FUNCTION pgai.source_readable(source oid, columns name[]) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(
           (SELECT pg_catalog.has_schema_privilege(c.relnamespace, 'USAGE')
                   AND (pg_catalog.has_table_privilege(c.oid, 'SELECT')
                        OR (SELECT count(*) = pg_catalog.cardinality(columns)
                                   AND coalesce(bool_and(pg_catalog.has_column_privilege(c.oid, a.attnum, 'SELECT')),
                                                false)
                              FROM pg_catalog.pg_attribute AS a
                             WHERE a.attrelid = c.oid AND a.attname = ANY (columns) AND NOT a.attisdropped))
              FROM pg_catalog.pg_class AS c WHERE c.oid = source), false)
$$;

-- INSERT, UPDATE, DELETE or TRUNCATE on `source` (a writer's changes are queued); false once it is dropped.
CREATE OR REPLACE FUNCTION pgai.source_writable(source oid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(
           (SELECT pg_catalog.has_schema_privilege(c.relnamespace, 'USAGE')
                   AND pg_catalog.has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
              FROM pg_catalog.pg_class AS c WHERE c.oid = source), false)
$$;

-- How the current role reads `source`: 'none' (it may not read `columns`), 'rows' (row-level security of the source
-- filters what it sees) or 'all'.
CREATE OR REPLACE FUNCTION pgai.source_access(source oid, columns name[]) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN NOT pgai.source_readable(source, columns) THEN 'none'
              WHEN pg_catalog.row_security_active(source::regclass) THEN 'rows'
              ELSE 'all' END
$$;

-- (Re)apply the policies of one embedded column's side tables (its owner runs it: `embed` does, on every run).
-- pgai.embedding_visible_<id>(keys) says whether the current role sees the source row of that key; it runs only
-- for a role that may read the source and is filtered by its row-level security (its plan is checked then).
CREATE OR REPLACE FUNCTION pgai.protect_embedding(embedding integer) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    e        pgai.embedded_columns;
    visible  text := 'embedding_visible_' || embedding;
    columns  name[];
    args     text;
    match    text;
BEGIN
    SELECT * INTO STRICT e FROM pgai.embedded_columns WHERE id = embedding;
    columns := ARRAY(SELECT DISTINCT c FROM unnest(e.key_columns || e.source_columns) AS c ORDER BY c);
    args := (SELECT string_agg(format('%s', t), ', ' ORDER BY i) FROM unnest(e.key_types) WITH ORDINALITY AS k(t, i));
    match := (SELECT string_agg(format('s.%I = $%s', k, i), ' AND ' ORDER BY i)
                FROM unnest(e.key_columns) WITH ORDINALITY AS k(k, i));
    EXECUTE format('DROP POLICY IF EXISTS pgai_source_rows ON pgai.%I', e.store_table);
    EXECUTE format('DROP FUNCTION IF EXISTS pgai.%I', visible);
    -- plpgsql: its query is parsed (and its privileges checked) only when it runs, never while planning the policy
    EXECUTE format('CREATE FUNCTION pgai.%I(%s) RETURNS boolean LANGUAGE plpgsql STABLE AS %L',
                   visible, args, format('BEGIN RETURN EXISTS (SELECT FROM %I.%I AS s WHERE %s); END',
                                         e.source_schema, e.source_table, match));
    EXECUTE format('COMMENT ON FUNCTION pgai.%I IS %L', visible,
                   format('pgai_magic: whether the current role sees the row of %I.%I with these keys',
                          e.source_schema, e.source_table));
    -- the access is found once per query (an InitPlan), the row test runs only where the source filters rows
    EXECUTE format('CREATE POLICY pgai_source_rows ON pgai.%I FOR SELECT USING (CASE (SELECT pgai.source_access(%s::oid, '
                   '%L::name[])) WHEN %L THEN true WHEN %L THEN pgai.%I(%s) ELSE false END)',
                   e.store_table, e.source_oid, columns, 'all', 'rows', visible,
                   (SELECT string_agg(format('%I', k), ', ') FROM unnest(e.key_columns) AS k));
    -- the store is written by workers, which read the source
    FOREACH args IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS %I ON pgai.%I', 'pgai_' || args, e.store_table);
        EXECUTE format('CREATE POLICY %I ON pgai.%I FOR %s %s ((SELECT pgai.source_readable(%s::oid, %L::name[])))',
                       'pgai_' || args, e.store_table, args, CASE args WHEN 'insert' THEN 'WITH CHECK' ELSE 'USING' END,
                       e.source_oid, columns);
    END LOOP;
    -- the queue is written by the source's writers (its triggers) and emptied by workers
    EXECUTE format('DROP POLICY IF EXISTS pgai_source_rows ON pgai.%I', e.queue_table);
    EXECUTE format('CREATE POLICY pgai_source_rows ON pgai.%I USING ((SELECT pgai.source_readable(%s::oid, %L::name[]) '
                   'OR pgai.source_writable(%s::oid)))', e.queue_table, e.source_oid, columns, e.source_oid);
    EXECUTE format('ALTER TABLE pgai.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', e.store_table);
    EXECUTE format('ALTER TABLE pgai.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', e.queue_table);
END
$fn$;
COMMENT ON FUNCTION pgai.protect_embedding(integer) IS
    'pgai_magic: row-level security of an embedded column''s side tables, following its source table';

-- Side tables made before: protected now where this role owns them (`status` names the others and their owners).
DO $do$
DECLARE
    e record;
BEGIN
    FOR e IN SELECT ec.id FROM pgai.embedded_columns AS ec
               JOIN pg_catalog.pg_class AS s ON s.oid = to_regclass(format('pgai.%I', ec.store_table))
               JOIN pg_catalog.pg_class AS q ON q.oid = to_regclass(format('pgai.%I', ec.queue_table))
              WHERE pg_catalog.pg_has_role(s.relowner, 'USAGE') AND pg_catalog.pg_has_role(q.relowner, 'USAGE')
    LOOP
        PERFORM pgai.protect_embedding(e.id);
    END LOOP;
END
$do$;

-- The model registry follows the relations a model was trained on (`model train --from`): a version, its metrics,
-- training profile and fitted estimator are seen, changed or removed only by a role that may read them all (a model
-- deployed from the notebook has none). Monitoring runs follow their model version and the relations of the
-- monitoring query; an A/B split follows its versions. The owner of these tables (the role that set up the pgai
-- schema) is not subject to the policies.
ALTER TABLE pgai.models ADD COLUMN IF NOT EXISTS sources regclass[];
COMMENT ON COLUMN pgai.models.sources IS 'relations the training query read (NULL: deployed before they were recorded)';
ALTER TABLE pgai.model_monitoring ADD COLUMN IF NOT EXISTS sources regclass[];
COMMENT ON COLUMN pgai.model_monitoring.sources IS 'relations the monitoring query read';
DROP POLICY IF EXISTS pgai_sources ON pgai.models;
CREATE POLICY pgai_sources ON pgai.models USING (pgai.sources_readable(sources));
DROP POLICY IF EXISTS pgai_sources ON pgai.model_monitoring;
CREATE POLICY pgai_sources ON pgai.model_monitoring USING (
    pgai.sources_readable(sources)
    AND EXISTS (SELECT FROM pgai.models AS m WHERE m.name = model_monitoring.name AND m.version = model_monitoring.version));
DROP POLICY IF EXISTS pgai_sources ON pgai.model_splits;
CREATE POLICY pgai_sources ON pgai.model_splits USING (
    NOT EXISTS (SELECT FROM unnest(model_splits.versions) AS v
                 WHERE NOT EXISTS (SELECT FROM pgai.models AS m WHERE m.name = model_splits.name AND m.version = v)));
ALTER TABLE pgai.models ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgai.model_monitoring ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgai.model_splits ENABLE ROW LEVEL SECURITY;
