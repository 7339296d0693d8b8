-- requires: vector
-- Question memory follows the relations each question's SQL reads: a remembered question, its SQL and literals are
-- seen, counted again, verified or forgotten only by a role that may read them all (pgai.sources_readable). Rows
-- remembered before this are given their sources by the next pgai_magic session that opens the memory. The
-- table's owner (the role that set up the pgai schema) is not subject to the policy.
ALTER TABLE pgai.questions ADD COLUMN IF NOT EXISTS sources regclass[];
COMMENT ON COLUMN pgai.questions.sources IS 'relations the SQL reads (NULL: remembered before they were recorded)';
DROP POLICY IF EXISTS pgai_sources ON pgai.questions;
CREATE POLICY pgai_sources ON pgai.questions USING (pgai.sources_readable(sources));
ALTER TABLE pgai.questions ENABLE ROW LEVEL SECURITY;
