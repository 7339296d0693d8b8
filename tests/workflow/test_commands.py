"""Looking around (tables, columns, profile), explain, snippets and files, connections, autolimit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from pgai_magic.session import Session
from pgai_magic.workflow.explain import plan_tree
from pgai_magic.workflow.explore import columns_of, profile_table, tables_of
from tests.pg_helpers import failed


@pytest.fixture()
def store(session: Session, schema: str) -> str:
    session.sql(
        f"CREATE TABLE {schema}.customers (id int PRIMARY KEY, name text NOT NULL, city text DEFAULT 'Oslo');"
        f"COMMENT ON TABLE {schema}.customers IS 'who buys';"
        f"COMMENT ON COLUMN {schema}.customers.name IS 'full name';"
        f"CREATE TABLE {schema}.orders (id int PRIMARY KEY, customer_id int REFERENCES {schema}.customers, "
        "total numeric(10,2), day date);"
        f"INSERT INTO {schema}.customers SELECT g, 'c' || g, CASE WHEN g % 2 = 0 THEN 'Oslo' ELSE 'Bergen' END "
        "FROM generate_series(1, 40) g;"
        f"INSERT INTO {schema}.orders SELECT g, 1 + g % 40, CASE WHEN g % 10 = 0 THEN NULL ELSE g * 1.5 END, "
        "date '2024-01-01' + g FROM generate_series(1, 200) g; ANALYZE " + f"{schema}.customers, {schema}.orders"
    )
    return schema


def test_tables_and_columns(session: Session, store: str) -> None:
    tables = tables_of(session.sql, store)
    assert set(tables["name"]) == {"customers", "orders"}
    row = tables[tables["name"] == "customers"].iloc[0]
    assert row["kind"] == "table" and row["rows_estimate"] == 40 and row["comment"] == "who buys"
    cols = columns_of(session.sql, f"{store}.orders")
    assert cols["name"].tolist() == ["id", "customer_id", "total", "day"]
    assert cols["key"][0] == "PRIMARY KEY" and cols["key"][1].startswith("FOREIGN KEY → ")
    cust = columns_of(session.sql, f"{store}.customers")
    assert not cust["nullable"][1] and cust["default"][2] == "'Oslo'::text" and cust["comment"][1] == "full name"


def test_profile_matches_pandas(session: Session, store: str) -> None:
    frame, note = profile_table(session.sql, f"{store}.orders")
    assert note is None
    data = session.sql(f"SELECT * FROM {store}.orders")
    total = frame.set_index("column").loc["total"]
    values = data["total"].astype(float)
    assert total["count"] == values.count() and total["nulls %"] == 10.0 and total["distinct"] == values.nunique()
    assert total["mean"] == pytest.approx(values.mean()) and total["std"] == pytest.approx(values.std())
    assert total["p50"] == pytest.approx(values.quantile(0.5)) and total["min"] == "1.50"
    city = profile_table(session.sql, f"{store}.customers")[0].set_index("column").loc["city"]
    assert city["top values"] == "Bergen (20), Oslo (20)"
    sampled, note = profile_table(session.sql, f"{store}.orders", sample_rows=50)
    assert note is not None and "sample" in note and sampled["count"][0] < 200


def test_explain_tree_marks_the_costly_node(session: Session, store: str) -> None:
    raw = session.sql(
        f"EXPLAIN (FORMAT JSON, ANALYZE) SELECT city, count(*) FROM {store}.customers c JOIN {store}.orders o "
        "ON o.customer_id = c.id GROUP BY city"
    )["QUERY PLAN"][0]
    tree = plan_tree(raw)
    assert tree.analyzed and tree.nodes[0].depth == 0 and any("Join" in n.label for n in tree.nodes)
    assert abs(sum(n.share for n in tree.nodes) - 1.0) < 0.05
    assert "execution" in repr(tree) and "<div" in tree._repr_html_()
    # the marks, on a plan whose figures are known: the scan takes 90% of the time, its estimate is 100x off
    known = [
        {
            "Plan": {
                "Node Type": "Aggregate", "Plan Rows": 1, "Total Cost": 10.0, "Actual Rows": 1, "Actual Loops": 1,
                "Actual Total Time": 10.0,
                "Plans": [{"Node Type": "Seq Scan", "Relation Name": "t", "Plan Rows": 10, "Total Cost": 9.0,
                           "Actual Rows": 1000, "Actual Loops": 1, "Actual Total Time": 9.0}],
            },
            "Planning Time": 0.1, "Execution Time": 10.0,
        }
    ]  # fmt: skip
    marked = plan_tree(known)
    assert [round(n.share, 2) for n in marked.nodes] == [0.1, 0.9]
    lines = repr(marked).splitlines()
    assert "◀ 90% of the time" in lines[1] and "rows estimated 10, actual 1,000" in lines[1] and "◀" not in lines[0]


def test_explain_magic(ip: InteractiveShell, store: str) -> None:
    ip.user_ns["lo"] = 10
    tree = ip.run_cell(f"%pgai explain SELECT * FROM {store}.orders WHERE id > :lo").result
    assert not tree.analyzed and "Seq Scan on orders" in repr(tree)
    tree = ip.run_cell(f"%%pgai explain --analyze\nSELECT count(*) FROM {store}.orders").result
    assert tree.analyzed and tree.nodes[0].actual_rows == 1


def test_snippets_and_files(
    ip: InteractiveShell, store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.run_cell(f"%%pgai --save oslo --no-execute\nSELECT * FROM {store}.customers WHERE city = 'Oslo'")
    assert "saved snippet 'oslo'" in capsys.readouterr().out
    ip.run_cell(
        f"%%pgai --save big --with oslo --no-execute\n"
        f"SELECT o.* FROM {store}.orders o JOIN oslo ON oslo.id = o.customer_id WHERE total > 100"
    )
    df = ip.run_cell("%%pgai --with big\nSELECT count(*) AS n FROM big").result
    expected = ip.run_cell(
        f"%pgai SELECT count(*) AS n FROM {store}.orders o JOIN {store}.customers c ON c.id = o.customer_id "
        "WHERE c.city = 'Oslo' AND total > 100"
    ).result
    assert df["n"][0] == expected["n"][0] > 0
    df = ip.run_cell("%%pgai --with oslo\nWITH x AS (SELECT 1 AS one) SELECT count(*) AS n FROM oslo, x").result
    assert df["n"][0] == 20
    listing = ip.run_cell("%pgai snippets").result
    assert listing["name"].tolist() == ["oslo", "big"] and listing["uses"].tolist() == ["", "oslo"]
    assert "no saved snippet 'nope'" in failed(ip, "%%pgai --with nope\nSELECT 1")
    query = tmp_path / "q.sql"
    query.write_text(f"-- a saved query\nSELECT count(*) AS n FROM {store}.customers;\n")
    assert ip.run_cell(f"%pgai --file {query}").result["n"][0] == 40
    assert "not both" in failed(ip, f"%%pgai --file {query}\nSELECT 2")


def test_connections_and_autolimit(
    ip: InteractiveShell, session: Session, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    magics = ip.user_ns["_pgai_magics"]
    ip.run_cell(f"%pgai connect {session.dsn} --alias second")
    listing = ip.run_cell("%pgai connections").result
    assert listing["alias"].tolist() == ["default", "second"] and listing["current"].tolist() == [False, True]
    ip.run_cell("%pgai SET application_name = 'second one'")
    assert ip.run_cell("%%pgai --conn default\nSHOW application_name").result.iloc[0, 0] == "pgai_magic"
    assert ip.run_cell("%pgai SHOW application_name").result.iloc[0, 0] == "second one"
    ip.run_cell("%pgai use default")
    assert magics.connections.current_alias == "default"
    ip.run_cell("%pgai close second")
    assert ip.run_cell("%pgai connections").result["alias"].tolist() == ["default"]
    assert "no connection named 'nope'" in failed(ip, "%pgai use nope")
    ip.run_line_magic("config", "Pgai.autolimit = 7")
    try:
        df = ip.run_cell(f"%pgai SELECT * FROM {store}.orders").result
        assert len(df) == 7 and "only the first 7 rows" in capsys.readouterr().out
    finally:
        ip.run_line_magic("config", "Pgai.autolimit = 0")
    assert len(ip.run_cell(f"%pgai SELECT * FROM {store}.orders").result) == 200


def test_tables_columns_profile_magics(ip: InteractiveShell, store: str) -> None:
    assert set(ip.run_cell(f"%pgai tables --schema {store}").result["name"]) == {"customers", "orders"}
    assert len(ip.run_cell(f"%pgai columns {store}.orders").result) == 4
    assert isinstance(ip.run_cell(f"%pgai profile {store}.orders").result, pd.DataFrame)


def _fetch(session: Session) -> Callable[[str], pd.DataFrame]:
    from pgai_magic.cell import convert
    from pgai_magic.sqltext import Statement

    return lambda q: convert.to_pandas(session.db.run_readonly(Statement(q)).table)


def test_plots_aggregate_in_the_database(session: Session, store: str) -> None:
    from pgai_magic.workflow.plot import plot_column

    fetch = _fetch(session)
    data = session.sql(f"SELECT * FROM {store}.orders")
    hist = plot_column(fetch, "histogram", f"{store}.orders", "total", bins=5).data
    assert len(hist) == 5 and hist["count"].sum() == data["total"].count()
    assert hist["bin_start"].min() == pytest.approx(float(data["total"].min()))
    box = plot_column(fetch, "box", f"{store}.customers", "id", by="city")
    frame = box.data if isinstance(box.data, pd.DataFrame) else box.layer[0].data
    assert frame["grp"].tolist() == ["Bergen", "Oslo"] and frame["median"].tolist() == [20.0, 21.0]
    bar = plot_column(fetch, "bar", f"{store}.customers", "city").data
    assert dict(zip(bar["value"], bar["count"])) == {"Bergen": 20, "Oslo": 20}
    line = plot_column(fetch, "line", f"{store}.orders", "total", by="customer_id", where="customer_id <= 3").data
    assert line["x"].tolist() == [1, 2, 3]
    scatter = plot_column(fetch, "scatter", f"{store}.orders", "total", by="id").data
    assert len(scatter) == data["total"].count()


def test_plot_magics(ip: InteractiveShell, store: str, capsys: pytest.CaptureFixture[str]) -> None:
    chart = ip.run_cell(f"%pgai plot histogram {store}.orders.total --bins 4").result
    assert chart is not None and len(chart.data) == 4
    chart = ip.run_cell(
        f"%%pgai --plot bar --x city --y n\nSELECT city, count(*) AS n FROM {store}.customers GROUP BY 1"
    ).result
    assert chart.data["n"].sum() == 40
    assert "needs --by COLUMN" in failed(ip, f"%pgai plot line {store}.orders.total")
    assert "did you mean 'city'" in failed(ip, f"%pgai plot bar {store}.customers.Cty")  # the catalog's one advice
    assert "did you mean 'city'" in failed(ip, f"%pgai plot box {store}.customers.id --by citty")
    assert "did you mean 'n'" in failed(
        ip, f"%%pgai --plot bar --x city --y nn\nSELECT city, 1 AS n FROM {store}.customers"
    )
    ip.run_cell(
        f'%pgai plot bar {store}.orders.total --where "(SELECT count(*) FROM pg_class) > 0; DELETE FROM {store}.orders"'
    )
    assert ip.run_cell(f"%pgai SELECT count(*) AS n FROM {store}.orders").result["n"][0] == 200


def test_tab_completion(ip: InteractiveShell, store: str) -> None:
    def complete(line: str) -> list[str]:
        return list(ip.Completer.complete(text=None, line_buffer=line, cursor_pos=len(line))[1])

    assert "profile" in complete("%pgai prof") and "persist" in complete("%pgai pers")
    assert f"{store}.orders" in complete(f"%pgai SELECT * FROM {store}.or")
    assert complete(f"%pgai profile {store}.orders.to") == [f"{store}.orders.total"]
    assert complete(f"%pgai plot histogram {store}.customers.ci") == [f"{store}.customers.city"]
    # options, not Python names
    assert complete("%pgai --") == ["--arrow", "--conn", "--file", "--limit", "--no-execute", "--out", "--plot",
                                    "--polars", "--save", "--save-as", "--with", "--x", "--y"]  # fmt: skip
    assert complete("%pgai plot histogram x.y --b") == ["--bins", "--by"]
    assert complete("%%pgai --li") == ["--limit"]
    # one-line SQL: an alias's columns
    assert complete(f"%pgai SELECT * FROM {store}.orders o WHERE o.to") == ["o.total"]


def test_tab_completion_in_cell_bodies(ip: InteractiveShell, store: str) -> None:
    from IPython.core.completer import provisionalcompleter

    def complete(cell: str) -> list[str]:  # as JupyterLab asks: the whole cell and the cursor's offset
        with provisionalcompleter():
            return [c.text for c in ip.Completer.completions(cell, len(cell))]

    assert f"{store}.orders" in complete(f"%%pgai\nSELECT *\nFROM {store}.or")
    body = f"%%pgai --out x\nSELECT o.id\nFROM {store}.orders o JOIN {store}.customers AS c ON c.id = o.customer_id\n"
    assert complete(body + "WHERE c.ci") == ["c.city"]
    assert complete(body + "WHERE o.to") == ["o.total"]
    assert complete(body + "GROUP BY cit") == ["city"]  # the statement's tables' columns
    assert "ORDER BY" in complete(body + "ORD") and "order by" in complete(body + "ord")
    assert complete("%%pgai ask\nhow many ord") == []  # a question, not SQL
    assert f"{store}.orders" in complete(f"%%pgai insights\nSELECT * FROM {store}.or")


def test_save_as_and_config_listing(
    ip: InteractiveShell, store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cities.csv"
    df = ip.run_cell(
        f"%pgai --save-as {out} SELECT city, count(*) AS n FROM {store}.customers GROUP BY 1 ORDER BY 1"
    ).result
    assert len(df) == 2 and out.read_text().splitlines() == ['"city","n"', '"Bergen",20', '"Oslo",20']
    capsys.readouterr()
    ip.run_line_magic("config", "Pgai")
    listing = capsys.readouterr().out
    for setting in ("autolimit", "display_limit", "max_result_mb", "statement_timeout_s"):
        assert f"Pgai.{setting}" in listing


def test_explain_runs_one_statement_and_keeps_nothing(
    ip: InteractiveShell, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "one statement" in failed(ip, f"%pgai explain SELECT 1; DELETE FROM {store}.orders")
    tree = ip.run_cell(f"%pgai explain --analyze DELETE FROM {store}.orders WHERE id <= 100").result
    assert tree.analyzed and "rolled back" in capsys.readouterr().out
    assert ip.run_cell(f"%pgai SELECT count(*) AS n FROM {store}.orders").result["n"][0] == 200
    ip.run_cell("%pgai BEGIN")
    ip.run_cell(f"%pgai explain --analyze UPDATE {store}.orders SET total = 0")
    assert ip.run_cell(f"%pgai SELECT count(*) AS n FROM {store}.orders WHERE total = 0").result["n"][0] == 0
    ip.run_cell("%pgai ROLLBACK")
    assert "unrecognized arguments: --verbose" in failed(ip, "%pgai explain --verbose SELECT 1")


def test_unload_refuses_to_overwrite_a_file_unless_told(ip: InteractiveShell, store: str, tmp_path: Path) -> None:
    out = tmp_path / "orders.csv"
    out.write_text("keep me\n")
    err = failed(ip, f'%pgai unload "SELECT * FROM {store}.orders" {out}')
    assert str(out) in err and "--replace" in err
    assert out.read_text() == "keep me\n"  # nothing lost
    assert ip.run_cell(f'%pgai unload "SELECT * FROM {store}.orders" {out} --replace').success
    assert len(out.read_text().splitlines()) == 201


def test_autolimit_leaves_pgai_commands_alone(ip: InteractiveShell, store: str, tmp_path: Path) -> None:
    ip.run_line_magic("config", "Pgai.autolimit = 2")
    try:
        assert len(ip.run_cell(f"%pgai columns {store}.orders").result) == 4
        assert len(ip.run_cell(f"%pgai profile {store}.orders").result) == 4
        ip.run_cell(f'%pgai unload "SELECT * FROM {store}.orders" {tmp_path / "all.csv"}')
        assert len((tmp_path / "all.csv").read_text().splitlines()) == 201
        assert len(ip.run_cell(f"%pgai --limit 5 SELECT * FROM {store}.orders").result) == 5
    finally:
        ip.run_line_magic("config", "Pgai.autolimit = 0")


def test_snippets_resolve_what_they_use(ip: InteractiveShell, store: str, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_cell(f"%%pgai --save s_alpha --no-execute\nSELECT id FROM {store}.customers WHERE id <= 10")
    ip.run_cell("%%pgai --save s_beta --no-execute\nSELECT id FROM s_alpha WHERE id > 5")
    assert ip.run_cell("%pgai SELECT count(*) AS n FROM s_beta").result["n"][0] == 5
    assert "not a keyword" in failed(ip, "%%pgai --save select --no-execute\nSELECT 1")
    assert "one query" in failed(ip, "%%pgai --save two --no-execute\nSELECT 1; SELECT 2")


def test_quoted_and_odd_names(
    ip: InteractiveShell, session: Session, schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.user_ns["odd"] = pd.DataFrame({"Mixed Case": [1.5, 2.5, 4.0], "when": pd.to_datetime(["2024-01-01"] * 3)})
    ip.run_cell(f'%pgai persist odd --table "Odd Table" --schema {schema}')
    assert len(ip.run_cell(f'%pgai columns "{schema}.Odd Table"').result) == 2  # schema.name, the name quoted
    session.sql(f"SET search_path = {schema}, public")
    try:
        assert ip.run_cell("%pgai SET search_path = " + schema + ", public").result is None
        assert ip.run_cell('%pgai columns "Odd Table"').result["name"].tolist() == ["Mixed Case", "when"]
        chart = ip.run_cell('%pgai plot histogram "Odd Table.Mixed Case" --bins 2').result
        assert chart is not None and chart.data["count"].sum() == 3
        assert "needs a numeric column" in failed(ip, '%pgai plot histogram "Odd Table.when"')
    finally:
        ip.run_cell("%pgai RESET search_path")
        session.sql("RESET search_path")


def test_more_column_kinds_in_profile_and_plot(
    session: Session, store: str, ip: InteractiveShell, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    session.sql(
        f"CREATE TABLE {store}.odd AS SELECT g::oid AS o, (g * 1.5)::money AS m, (g * 0.5)::numeric AS n, "
        f"g * interval '1 hour' AS iv, g AS id FROM generate_series(1, 50) g"
    )
    frame = profile_table(session.sql, f"{store}.odd")[0].set_index("column")
    assert frame.loc["o", "mean"] == pytest.approx(25.5) and frame.loc["m", "max"] == "$75.00"
    fetch = _fetch(session)
    from pgai_magic.errors import ConfigError
    from pgai_magic.workflow.plot import plot_column

    assert plot_column(fetch, "histogram", f"{store}.odd", "m", bins=5).data["count"].sum() == 50
    scatter = plot_column(fetch, "scatter", f"{store}.odd", "n", by="id").data
    assert scatter["y"].dtype == float
    line = plot_column(fetch, "line", f"{store}.odd", "n", by="iv").data
    assert line["x"].tolist()[:2] == [3600, 7200]
    from pgai_magic.workflow import plot as plot_module

    saved, plot_module.MAX_POINTS = plot_module.MAX_POINTS, 10  # 50 x values: more than this chart may draw
    try:
        with pytest.raises(ConfigError, match="more than a line chart shows"):
            plot_column(fetch, "line", f"{store}.odd", "n", by="id")
    finally:
        plot_module.MAX_POINTS = saved
    ip.run_cell("%pgai unload \"SELECT 'infinity'::timestamptz AS t\" " + str(tmp_path / "inf.csv"))
    assert "holds ±infinity" in capsys.readouterr().out
    err = failed(ip, "%pgai explain --analyze SELECT 1/0")
    assert "division by zero" in err and "ROLLBACK" not in err
    assert "EXPLAIN explains SELECT" in failed(ip, "%pgai explain VACUUM")


def test_empty_inputs_say_what_happened_and_change_nothing(ip: InteractiveShell, store: str) -> None:
    ip.run_cell(f"%pgai CREATE TABLE {store}.blank (v float8, k text)")
    assert f"nothing to plot: {store}.blank has no rows" in failed(ip, f"%pgai plot histogram {store}.blank.v")
    ip.run_cell(f"%pgai INSERT INTO {store}.blank SELECT NULL, 'a' FROM generate_series(1, 5)")
    err = failed(ip, f"%pgai plot bar {store}.blank.v")
    assert "nothing to plot: 'v' of" in err and "NULL in all 5 rows" in err
    assert "no rows matching --where" in failed(ip, f'%pgai plot bar {store}.orders.total --where "id < 0"')
    err = failed(ip, f"%%pgai --plot bar --x k --y v\nSELECT k, v FROM {store}.blank")
    assert "column 'v' of the result is NULL in all 5 rows" in err
    ip.run_cell(f"%pgai CREATE TABLE {store}.one AS SELECT 1 AS id, 2.5 AS amount, 'x' AS kind")
    err = failed(ip, f"%pgai insights {store}.one --out found")
    assert "has 1 row: too little data for insights" in err and "found" not in ip.user_ns


def test_snippets_refused_changes_keep_what_was_saved(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_cell("%%pgai --save snip_a --no-execute\nSELECT 1 AS x")
    ip.run_cell("%%pgai --save snip_b --no-execute\nSELECT x + 1 AS y FROM snip_a")
    err = failed(ip, "%%pgai --save snip_a --no-execute\nSELECT * FROM snip_b")
    assert "snip_a → snip_b → snip_a" in err and "the saved one is unchanged" in err
    listing = ip.run_cell("%pgai snippets").result.set_index("name")
    assert listing.loc["snip_a", "sql"] == "SELECT 1 AS x" and listing.loc["snip_b", "uses"] == "snip_a"
    assert "used by 'snip_b'" in failed(ip, "%pgai snippets --delete snip_a")
    assert "no saved snippet 'nope'" in failed(ip, "%pgai snippets --delete nope")
    capsys.readouterr()
    ip.run_cell("%pgai snippets --delete snip_b")
    assert "deleted snippet 'snip_b'" in capsys.readouterr().out
    assert ip.run_cell("%pgai snippets").result["name"].tolist() == ["snip_a"]
