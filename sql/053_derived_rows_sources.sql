-- The rows pgai derives from user tables for feature views, training sets, drift references, monitoring schedules,
-- alerts and the prediction log follow their sources, as the model registry does (040_source_privileges): a row is
-- seen, changed or removed only by a role that may read every relation in its `sources` (pgai.sources_readable:
-- USAGE on the schema and SELECT on the table) and, where the row is about a model, that sees the model version
-- (pgai.models' own policy: the relations it was trained on). A prediction of a model trained on one schema, logged
-- for rows of another, so needs both. The owner of these tables (the role that set up the pgai schema) is not
-- subject to the policies.

-- One policy per table, named as in 040; those of the same tables made before (on databases set up before 040)
-- are dropped, so that no other permissive policy widens them.
DROP POLICY IF EXISTS feature_views_sources ON pgai.feature_views;
DROP POLICY IF EXISTS training_sets_sources ON pgai.training_sets;
DROP POLICY IF EXISTS model_reference_sources ON pgai.model_reference;
DROP POLICY IF EXISTS monitor_schedules_sources ON pgai.monitor_schedules;
DROP POLICY IF EXISTS model_monitoring_sources ON pgai.model_monitoring;
DROP POLICY IF EXISTS alerts_sources ON pgai.alerts;
DROP POLICY IF EXISTS prediction_log_sources ON pgai.prediction_log;

DROP POLICY IF EXISTS pgai_sources ON pgai.feature_views;
CREATE POLICY pgai_sources ON pgai.feature_views USING (pgai.sources_readable(sources));
-- a training set's sources: its labels' relations and those of the feature views it joined
DROP POLICY IF EXISTS pgai_sources ON pgai.training_sets;
CREATE POLICY pgai_sources ON pgai.training_sets USING (pgai.sources_readable(sources));
-- the training distribution of a version's features
DROP POLICY IF EXISTS pgai_sources ON pgai.model_reference;
CREATE POLICY pgai_sources ON pgai.model_reference USING (
    pgai.sources_readable(sources)
    AND (name, version) IN (SELECT m.name, m.version FROM pgai.models AS m));
-- a schedule runs the model's active version: a role sees it when it sees a version of that model
DROP POLICY IF EXISTS pgai_sources ON pgai.monitor_schedules;
CREATE POLICY pgai_sources ON pgai.monitor_schedules USING (
    pgai.sources_readable(sources)
    AND name IN (SELECT m.name FROM pgai.models AS m));
DROP POLICY IF EXISTS pgai_sources ON pgai.alerts;
CREATE POLICY pgai_sources ON pgai.alerts USING (
    pgai.sources_readable(sources)
    AND (name, version) IN (SELECT m.name, m.version FROM pgai.models AS m));
-- (name, version) IN (…): the visible versions are read once per query (a hashed subplan), not once per logged row
DROP POLICY IF EXISTS pgai_sources ON pgai.prediction_log;
CREATE POLICY pgai_sources ON pgai.prediction_log USING (
    pgai.sources_readable(sources)
    AND (name, version) IN (SELECT m.name, m.version FROM pgai.models AS m));

ALTER TABLE pgai.feature_views ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgai.training_sets ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgai.model_reference ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgai.monitor_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgai.model_monitoring ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgai.alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgai.prediction_log ENABLE ROW LEVEL SECURITY;
