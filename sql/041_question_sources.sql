-- requires: vector
-- Question memory follows the relations each question's SQL reads: a remembered question, its SQL and literals are
-- seen, counted again, verified or forgotten only by a role that may read them all (pgai.sources_readable). The
-- table's owner (the role that set up the pgai schema) is not subject to the policy.
ALTER TABLE pgai.questions ADD COLUMN IF NOT EXISTS sources regclass[];
COMMENT ON COLUMN pgai.questions.sources IS 'relations the SQL reads (NULL: remembered before they were recorded)';
DROP POLICY IF EXISTS pgai_sources ON pgai.questions;
CREATE POLICY pgai_sources ON pgai.questions USING (pgai.sources_readable(sources));
ALTER TABLE pgai.questions ENABLE ROW LEVEL SECURITY;

-- Questions remembered before have no sources yet (readable by every role): the next pgai_magic session that opens
-- the memory reads their SQL and records them here. It only fills a missing list, so it can hide a question, never
-- show one; it runs as this function's owner because the row it fills may then be hidden from the caller.
CREATE OR REPLACE FUNCTION pgai.record_question_sources(question_id bigint, relations regclass[]) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    UPDATE pgai.questions SET sources = $2 WHERE id = $1 AND sources IS NULL RETURNING true
$$;
COMMENT ON FUNCTION pgai.record_question_sources(bigint, regclass[]) IS
    'pgai_magic: records the relations of a question remembered before they were recorded';
