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
