"""Feature views and training sets through the session and the magic: versions, errors that name what is wrong,
the read-only check of every query, training sets into a table, model train on feature views (model show lists
them), index advice, and row-level security: a role sees only the rows whose source tables it may read."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from IPython.core.interactiveshell import InteractiveShell
from psycopg.conninfo import make_conninfo

from pgai_magic.errors import ConfigError, FeatureError
from pgai_magic.session import Session


@pytest.fixture()
def events(session: Session, schema: str) -> Iterator[str]:
    """customer events (50 customers, hourly) and labels later on; the views made here are dropped afterwards."""
    session.sql(
        f"""CREATE TABLE {schema}.events AS SELECT g % 50 AS customer_id,
                   timestamptz '2024-01-01' + g * interval '1 hour' AS ts, (g % 13) * 1.5 AS spend, g % 7 AS visits
            FROM generate_series(1, 3000) g;
            CREATE TABLE {schema}.labels AS SELECT g % 50 AS customer_id,
                   timestamptz '2024-01-20' + g * interval '3 hours' AS label_time, g % 3 = 0 AS churned
            FROM generate_series(1, 500) g"""
    )
    yield schema
    for name in session.features()["name"]:
        if str(name).startswith(f"v_{schema}"):
            session.features.drop(str(name))


def test_redefining_makes_a_version_and_the_same_definition_none(session: Session, events: str) -> None:
    name = f"v_{events}"
    first, made = session.define_features(name, "customer_id", "ts", table=f"{events}.events")
    assert made and first.version == 1 and first.feature_names == ["spend", "visits"]
    assert first.sources == [f"{events}.events"]
    query = f"SELECT customer_id, ts, spend FROM {events}.events"
    second, made = session.define_features(name, "customer_id", "ts", query)
    assert made and second.version == 2 and second.feature_names == ["spend"]
    again, made = session.define_features(name, "customer_id", "ts", query)
    assert not made and again.version == 2
    assert session.features.get(name, 1).feature_names == ["spend", "visits"]
    listed = session.features().set_index("name").loc[name]
    assert (listed["version"], listed["versions"]) == (2, 2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"query": "DELETE FROM {s}.events"}, "may only read"),
        ({"query": "SELECT 1; SELECT 2"}, "single query"),
        ({"query": "SELECT customer_id, ts FROM {s}.events"}, "no feature column"),
        ({"query": "SELECT customer_id, ts, spend, spend FROM {s}.events"}, "more than once"),
        ({"query": "SELECT customer_id, spend AS ts, visits FROM {s}.events", "time": "ts"}, None),
        ({"table": "{s}.nope"}, "no table or view"),
        ({"table": "{s}.events", "entity": "customer"}, "did you mean 'customer_id'"),
        ({"table": "{s}.events", "time": "visits", "created": "spend"}, None),
        ({"table": "{s}.events", "created": "customer_id", "time": "spend"}, None),
    ],
)
def test_bad_views_fail_clearly(session: Session, events: str, options: dict, message: str | None) -> None:
    spec = {"entity": "customer_id", "time": "ts", **options}
    for key in ("query", "table"):
        if key in spec:
            spec[key] = spec[key].format(s=events)
    name = f"v_{events}_bad"
    if message is None:  # a number is a time too (event counters): accepted
        assert session.define_features(name, **spec)[0].version >= 1
        return
    with pytest.raises(FeatureError, match=message):
        session.define_features(name, **spec)


def test_training_sets_check_their_options(session: Session, events: str) -> None:
    name = f"v_{events}"
    session.define_features(name, "customer_id", "ts", table=f"{events}.events")
    labels = f"SELECT customer_id, label_time, churned FROM {events}.labels"
    cases = [
        ({"labels": f"UPDATE {events}.labels SET churned = true"}, FeatureError, "may only read"),
        ({"features": f"{name}:nope"}, FeatureError, f"{name} v1 has no feature 'nope'"),
        ({"features": f"{name}@9"}, FeatureError, "has no version 9"),
        ({"features": f"{name}@x"}, FeatureError, "VIEW@VERSION"),
        ({"ttl": "-3d"}, FeatureError, "longer than zero"),
        ({"ttl": "soon"}, FeatureError, "interval"),
        ({"label_time": "churned"}, FeatureError, "must be a date"),
        ({"labels": f"SELECT customer_id, churned FROM {events}.labels"}, FeatureError, "which column"),
        ({"strategy": "fast"}, FeatureError, "unknown strategy"),
        ({"labels": f"SELECT customer_id, label_time, label_time FROM {events}.labels"}, FeatureError, "more than"),
        ({"into": f"{events}.labels"}, FeatureError, "already exists"),
    ]
    for change, error, message in cases:
        request = {"labels": labels, "features": name, **change}
        with pytest.raises(error, match=message):
            session.training_set(**request)
    made = session.training_set(labels, f"{name}:visits", into=f"{events}.training", ttl="6h")
    assert made.rows == 500 and made.frame is None and made.views == [{"name": name, "version": 1,
                                                                       "features": ["visits"]}]  # fmt: skip
    rows = session.sql(f"SELECT count(*) AS n, count(visits) AS known FROM {events}.training")
    assert int(rows["n"][0]) == 500 and 0 < int(rows["known"][0]) <= 500
    recorded = session.sql("SELECT labels, ttl, target, n_rows FROM pgai.training_sets WHERE id = :i", i=made.id)
    assert recorded.iloc[0].tolist() == [labels, "6h", f"{events}.training", 500]


def test_feature_names_that_clash_get_the_view_prefix(session: Session, events: str) -> None:
    a, b = f"v_{events}_a", f"v_{events}_b"
    session.define_features(a, "customer_id", "ts", f"SELECT customer_id, ts, spend FROM {events}.events")
    session.define_features(b, "customer_id", "ts", f"SELECT customer_id, ts, spend * 2 AS spend FROM {events}.events")
    got = session.training_set(f"SELECT customer_id, label_time FROM {events}.labels", f"{a},{b}")
    assert list(got.frame.columns) == ["customer_id", "label_time", f"{a}__spend", f"{b}__spend"]
    both = got.frame.dropna()
    assert (both[f"{b}__spend"] == 2 * both[f"{a}__spend"]).all() and len(both) > 0


def test_model_train_on_feature_views_remembers_them(session: Session, events: str, model_name: str) -> None:
    name = f"v_{events}"
    session.define_features(name, "customer_id", "ts", table=f"{events}.events")
    labels = f"SELECT customer_id, label_time, churned FROM {events}.labels"
    mv = session.train(model_name, "churned", features=name, labels=labels, ttl="2d", algorithm="decision_tree")
    assert mv.feature_names == ["spend", "visits"]  # the views' features: not the entity, time or other labels
    assert any("CREATE INDEX ON" in note for note in mv.notes)  # no index on (customer_id, ts) yet
    details = session.models.info(model_name).details()
    assert details["feature views"] == f"{name} v1 (spend, visits)"
    assert details["training set"].endswith(f"labels {labels}, ttl 2d")
    session.sql(f"CREATE INDEX ON {events}.events (customer_id, ts, spend, visits)")  # the advised index
    mv2 = session.train(model_name, "churned", features=name, labels=labels, algorithm="decision_tree")
    assert mv2.version == 2 and mv2.notes == []
    with pytest.raises(ConfigError, match="--features VIEW"):
        session.train(model_name, "churned", "SELECT 1", features=name, labels=labels)


def test_the_magic_prints_the_index_advice_of_model_train_once(
    ip: InteractiveShell, events: str, model_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"v_{events}"
    ip.run_line_magic("pgai", f"features define {name} --entity customer_id --time ts --table {events}.events")
    labels = f"SELECT customer_id, label_time, churned FROM {events}.labels"
    capsys.readouterr()
    ip.run_line_magic(
        "pgai", f'model train {model_name} --target churned --features {name} --labels "{labels}" --algorithm linear'
    )
    out = capsys.readouterr().out
    assert out.count("CREATE INDEX ON") == 1, out


def test_the_magic_defines_lists_and_builds_training_sets(ip: InteractiveShell, events: str) -> None:
    name = f"v_{events}"
    ip.run_line_magic("pgai", f"features define {name} --entity customer_id --time ts --table {events}.events")
    listed = ip.run_line_magic("pgai", "features")
    assert name in set(listed["name"])
    labels = f"SELECT customer_id, label_time, churned FROM {events}.labels"
    frame = ip.run_line_magic("pgai", f'features training-set --labels "{labels}" --features {name} --out ts')
    assert len(frame) == 500 and ip.user_ns["ts"] is frame
    ip.run_cell_magic("pgai", f"features training-set --features {name}:spend --into {events}.t2", labels)
    assert int(ip.run_line_magic("pgai", f"SELECT count(*) AS n FROM {events}.t2")["n"][0]) == 500


def test_a_role_sees_only_the_views_whose_tables_it_may_read(
    session: Session, events: str, pg_dsn: str, conn: psycopg.Connection
) -> None:
    role = f"reader_{uuid.uuid4().hex[:8]}"
    session.sql(f"CREATE TABLE {events}.secret AS SELECT * FROM {events}.events")
    open_view, secret_view = f"v_{events}_open", f"v_{events}_secret"
    session.define_features(open_view, "customer_id", "ts", table=f"{events}.events")
    session.define_features(secret_view, "customer_id", "ts", table=f"{events}.secret")
    made = session.training_set(f"SELECT customer_id, label_time FROM {events}.labels", secret_view)
    conn.execute(f"CREATE ROLE {role} LOGIN")
    try:
        conn.execute(f"GRANT USAGE ON SCHEMA pgai, {events} TO {role}")
        conn.execute(f"GRANT SELECT ON pgai.feature_views, pgai.training_sets TO {role}")
        conn.execute(f"GRANT SELECT ON {events}.events, {events}.labels TO {role}")
        with psycopg.connect(make_conninfo(pg_dsn, user=role)) as other:
            seen = {r[0] for r in other.execute("SELECT name FROM pgai.feature_views")}
            assert open_view in seen and secret_view not in seen
            sets = {r[0] for r in other.execute("SELECT id FROM pgai.training_sets")}
            assert made.id not in sets
            other.rollback()
            conn.execute(f"GRANT SELECT ON {events}.secret TO {role}")
            assert secret_view in {r[0] for r in other.execute("SELECT name FROM pgai.feature_views")}
    finally:
        conn.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP ROLE {role}")
