"""Binding notebook values: slices are never parameters, sequences bind as arrays, vectors as pgvector values,
what cannot bind is one clear error that loses nothing, and templates are refused instead of silently kept."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from pgai_magic.errors import ParameterError, SQLError
from pgai_magic.session import Session


@pytest.mark.parametrize(
    ("expr", "expected"),
    [("arr[:hi]", [10, 20]), ("arr[lo:]", [20, 30, 40]), ("arr[lo:hi]", [20]), ("arr[2:3]", [20, 30])],
)
def test_slices_are_never_parameters(session: Session, expr: str, expected: list[int]) -> None:
    # notebook variables with the same names exist and must not be used
    namespace = {"hi": 99, "lo": 99}
    df = session.execute(
        f"SELECT {expr} AS s FROM (SELECT ARRAY[10, 20, 30, 40] AS arr, 2 AS lo, 2 AS hi) t", namespace
    ).value
    assert df["s"][0] == expected


def test_sequences_bind_as_arrays(session: Session) -> None:
    sql = "SELECT array_agg(g ORDER BY g) AS got FROM generate_series(1, 10) g WHERE g = ANY(:ids)"
    for ids in ([2, 4], (2, 4), np.array([2, 4]), np.array([2, 4], dtype=np.int16)):
        assert session.sql(sql, ids=ids)["got"][0] == [2, 4]
    assert session.sql("SELECT :names::text[] AS n", names=["a", "b c"])["n"][0] == ["a", "b c"]
    assert session.sql("SELECT cardinality(:e::int[]) AS n", e=[])["n"][0] == 0


def test_numpy_float_vectors_bind_as_pgvector(session: Session) -> None:
    vec = np.array([1.0, 2.0, 2.0], dtype=np.float32)
    df = session.sql("SELECT :v <-> '[1, 2, 3]'::vector AS d, vector_dims(:v) AS n", v=vec)
    assert df["d"][0] == pytest.approx(1.0) and df["n"][0] == 3


def test_integers_and_scalars(session: Session) -> None:
    df = session.sql(
        "SELECT :small AS a, :big AS b, :huge AS c, :np AS d, :flt AS e, g FROM generate_series(:lo, :lo + 1) g",
        small=5,
        big=2**40,
        huge=2**70,
        np=np.int64(7),
        flt=np.float32(1.5),
        lo=1,
    )
    assert df["a"].dtype == np.int32 and df["b"].dtype == np.int64
    assert df["c"][0] == 2**70 and df["d"][0] == 7 and df["e"][0] == 1.5 and df["g"].tolist() == [1, 2]
    assert session.sql("SELECT :d AS d", d=Decimal("1.10"))["d"][0] == 1.1  # float64 holds 1.10 exactly
    assert session.sql("SELECT :d AS d", d=Decimal("0.1000000000000000001"))["d"][0] == Decimal("0.1000000000000000001")


@pytest.mark.parametrize(
    ("value", "kind"),
    [(pd.DataFrame({"a": [1]}), "DataFrame"), ({"a": 1}, "dict"), (object(), "object"), ((x for x in []), "generator")],
)
def test_unbindable_value_is_one_clear_error_and_keeps_the_transaction(
    session: Session, schema: str, value: object, kind: str
) -> None:
    session.sql(f"CREATE TABLE {schema}.keep (a int); BEGIN; INSERT INTO {schema}.keep VALUES (1)")
    with pytest.raises(ParameterError, match=rf"parameter :bad cannot be bound: a {kind}") as info:
        session.execute(f"INSERT INTO {schema}.keep VALUES (:bad)", {"bad": value})
    assert "values that bind are" in str(info.value)
    with pytest.raises(ParameterError, match=rf"parameter :bad cannot be bound: a {kind}"):
        session.execute("SELECT :bad AS v", {"bad": value})
    assert session.db.in_transaction and not session.db.transaction_failed
    assert session.execute("COMMIT").summary() == "COMMIT"
    assert session.sql(f"SELECT count(*) AS n FROM {schema}.keep")["n"][0] == 1


def test_dict_error_says_how_to_bind_json(session: Session) -> None:
    with pytest.raises(ParameterError, match="Jsonb"):
        session.execute("SELECT :doc AS d", {"doc": {"a": 1}})
    from psycopg.types.json import Jsonb

    assert session.sql("SELECT :doc AS d", doc=Jsonb({"a": 1}))["d"][0] == {"a": 1}


def test_templates_are_refused_with_the_parameter_to_write(session: Session) -> None:
    with pytest.raises(ParameterError, match=r"\{\{name\}\}.*write :name"):
        session.execute("SELECT '{{name}}' AS v", {"name": "x"})
    with pytest.raises(ParameterError, match=r"\{limit_n\}.*write :limit_n"):
        session.execute("SELECT g FROM generate_series(1, 5) g LIMIT {limit_n}", {"limit_n": 2})
    # an array literal that names no notebook variable is SQL, not a template
    assert session.execute("SELECT '{a,b}'::text[] AS v", {}).value["v"][0] == ["a", "b"]


def test_positional_placeholders_beside_names_are_refused(session: Session) -> None:
    with pytest.raises(ParameterError, match=r"\$1 is a positional placeholder"):
        session.execute("SELECT $1::int + :a AS x", {"a": 1})
    session.sql("PREPARE twice(int) AS SELECT $1 * 2 AS d")  # $n alone is the server's business
    assert session.sql("EXECUTE twice(:n)", n=4)["d"][0] == 8
    session.sql("DEALLOCATE twice")


def test_integer_lists_of_mixed_width_bind_as_one_array(session: Session) -> None:
    df = session.sql("SELECT :ids AS v, pg_typeof(:ids)::text AS t", ids=[1, 5_000_000_000, None])
    assert df["v"][0] == [1, 5_000_000_000, None] and df["t"][0] == "bigint[]"


def test_pandas_arrays_bind_as_arrays(session: Session) -> None:
    df = session.sql("SELECT x AS s, g AS n FROM (VALUES ('a', 1), ('b', NULL), ('a', 3)) v(x, g)")
    sql = "SELECT count(*) AS c FROM (VALUES ('a'), ('b'), ('z')) v(x) WHERE x = ANY(:cs)"
    for cs in (df["s"].unique(), df["s"], df["s"].values, pd.Index(["a", "b"])):
        assert session.sql(sql, cs=cs)["c"][0] == 2
    assert session.sql("SELECT :ns AS v", ns=df["n"].values)["v"][0] == [1, None, 3]


def test_float_vector_in_any_gets_a_hint(session: Session) -> None:
    with pytest.raises(SQLError, match=r"bind list\(v\) for an array"):
        session.execute("SELECT 1 WHERE 1.5 = ANY(:v)", {"v": np.array([1.5, 2.0])})


def test_positional_placeholder_alone_gets_the_servers_message(session: Session) -> None:
    with pytest.raises(SQLError, match=r"there is no parameter \$1"):
        session.execute("SELECT $1 AS v")
    assert session.sql("SELECT 1 AS ok")["ok"][0] == 1
