"""The LLM seam: `auto` asks the LLM below the confidence threshold, the prompt shows only joins that hold in the
data, few-shot examples come from memory and from example sources, generated SQL reads only the question's
tables, one repair round, and `%config Pgai` shows the LLM settings -- with fake backends, never a real model."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from IPython.core.interactiveshell import InteractiveShell

from pgai_magic.catalog import Catalog, Column, Table, load_catalog
from pgai_magic.errors import GuardError, TranslationError
from pgai_magic.nl2sql.generator import LLMGenerator, Request
from pgai_magic.nl2sql.guard import check_scope
from pgai_magic.nl2sql.llm import FakeBackend
from pgai_magic.nl2sql.service import Asker
from pgai_magic.session import Session
from tests.nl2sql.test_llm import ChatServer

# race_track of Spider train: race.track_id references track, declared nowhere (an inferred key)
_DDL = """
CREATE TABLE track (track_id int PRIMARY KEY, name text, location text, seating float, year_opened int);
CREATE TABLE race (race_id int PRIMARY KEY, name text, class text, date text, track_id int);
INSERT INTO track VALUES (1, 'Auto Club Speedway', 'Fontana, CA', 92000, 1997),
    (2, 'Chicagoland Speedway', 'Joliet, IL', 75000, 2001), (3, 'Daytona', 'Daytona Beach, FL', 168000, 1959);
INSERT INTO race VALUES (1, 'Rolex 24', 'DP/GT', 'January 26 - 27', 1), (2, 'Gainsco', 'DP', 'March 10', 2),
    (3, 'Lime Rock', 'GT', 'May 26', 2), (4, 'Mid-Ohio', 'DP/GT', 'June 7', 3);
"""


@pytest.fixture()
def race_track(conn: psycopg.Connection, schema: str) -> str:
    conn.execute(f"SET search_path TO {schema}; {_DDL}; RESET search_path")
    conn.execute(f"ANALYZE {schema}.track; ANALYZE {schema}.race")
    return schema


@pytest.fixture()
def asker(session: Session) -> Iterator[Asker]:
    asker = session.questions
    yield asker
    asker.use_llm("env")
    asker.llm_threshold, asker.llm_max_repairs, asker.example_sources = 0.9, 1, []


def test_auto_asks_the_llm_when_the_translator_is_not_sure_enough(asker: Asker, race_track: str) -> None:
    reply = f"```sql\nSELECT count(*) FROM {race_track}.track\n```"
    fake = FakeBackend([reply])
    asker.use_llm(fake)
    asker.llm_threshold = 0.0  # every answer is sure enough: the LLM is not asked
    answer = asker.translate("how many tracks are there?", schema=race_track, remember=False, use_memory=False)
    assert answer.source == "translator" and not fake.calls
    asker.llm_threshold = 1.01  # no answer is sure enough
    answer = asker.translate("how many tracks are there?", schema=race_track, remember=False, use_memory=False)
    assert answer.source == "llm" and len(fake.calls) == 1
    assert any("below the LLM threshold" in n for n in answer.notes)


def test_the_translators_answer_stays_when_the_llm_gives_nothing(asker: Asker, race_track: str) -> None:
    asker.use_llm(FakeBackend(["SELECT * FROM pg_authid"]))
    asker.llm_threshold = 1.01
    answer = asker.translate("how many tracks are there?", schema=race_track, remember=False, use_memory=False)
    assert answer.source == "translator" and "the LLM gave no acceptable SQL" in answer.caption()


def test_one_repair_round_and_only_the_questions_tables(asker: Asker, race_track: str) -> None:
    good = f"SELECT name FROM {race_track}.track WHERE seating > 80000"
    fake = FakeBackend(["SELECT usename FROM pg_catalog.pg_user", good])
    asker.use_llm(fake)
    answer = asker.translate("tracks with big seating", schema=race_track, generator="llm", remember=False)
    assert answer.sql == good and answer.attempts == 2
    assert "not one of the tables" in fake.calls[1][-1]["content"]  # the rejection goes back once
    asker.use_llm(FakeBackend(["SELECT * FROM pg_stat_activity", f"SELECT * FROM {race_track}.nothing", good]))
    with pytest.raises(TranslationError, match="after 2 attempts"):
        asker.translate("tracks with big seating", schema=race_track, generator="llm", remember=False)


def test_examples_come_from_example_sources(asker: Asker, race_track: str) -> None:
    fake = FakeBackend([f"SELECT count(*) FROM {race_track}.race"])
    asker.use_llm(fake)
    asker.example_sources.append(lambda q, c: [("How many races are there?", "SELECT COUNT(*) FROM race")])
    asker.translate("count the races", schema=race_track, generator="llm", remember=False, use_memory=False)
    assert "How many races are there?" in fake.calls[0][0]["content"]


def _prompt(asker: Asker, catalog: Catalog) -> str:
    request = Request("race names and their track names", catalog, lambda s: None, holds=asker._holds(catalog))
    return "\n".join(m["content"] for m in LLMGenerator(FakeBackend(["SELECT 1"])).messages(request))


def test_the_prompt_shows_an_inferred_join_only_when_it_holds(
    asker: Asker, conn: psycopg.Connection, race_track: str
) -> None:
    catalog = load_catalog(conn, [race_track])
    assert any(fk.inferred for fk in catalog.tables[f"{race_track}.race"].foreign_keys)
    join = f"{race_track}.race.track_id = {race_track}.track.track_id (inferred)"
    assert join in _prompt(asker, catalog)
    conn.execute(f"INSERT INTO {race_track}.race VALUES (5, 'Orphan', 'GT', 'July 1', 9)")  # no track 9
    catalog = load_catalog(conn, [race_track])
    assert any(fk.inferred for fk in catalog.tables[f"{race_track}.race"].foreign_keys)  # still inferred...
    prompt = _prompt(asker, catalog)
    assert join not in prompt and "REFERENCES" not in prompt  # ...but not shown: a child value has no parent


def _catalog(qualify: bool) -> Catalog:
    cols = [Column("s.track", "track_id", "integer", "number"), Column("s.track", "name", "text", "text")]
    return Catalog(("s",), {"s.track": Table("s", "track", "table", None, cols)}, qualify=qualify)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM pg_authid",
        "SELECT * FROM pg_catalog.pg_stat_activity",
        "SELECT * FROM other.track",
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM s.track JOIN pg_roles r ON true",
    ],
)
def test_scope_refuses_relations_outside_the_question(sql: str) -> None:
    with pytest.raises(GuardError, match="not one of the tables"):
        check_scope(sql, _catalog(qualify=True))


def test_scope_allows_the_questions_tables_and_ctes() -> None:
    check_scope("WITH t AS (SELECT * FROM s.track) SELECT name FROM t", _catalog(qualify=True))
    check_scope("SELECT name FROM track, generate_series(1, 3)", _catalog(qualify=False))
    with pytest.raises(GuardError):
        check_scope("SELECT name FROM track", _catalog(qualify=True))  # a bare name would resolve elsewhere


def test_config_shows_and_applies_the_llm_settings(
    ip: InteractiveShell, race_track: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    ip.run_line_magic("config", "Pgai")
    listing = capsys.readouterr().out
    for setting in ("llm_base_url", "llm_model", "llm_path", "llm_threshold", "llm_max_repairs"):
        assert f"Pgai.{setting}" in listing
    reply = f"```sql\nSELECT count(*) FROM {race_track}.race\n```"
    with ChatServer([reply]) as server:
        ip.run_line_magic("config", f"Pgai.llm_base_url = '{server.url}'")
        ip.run_line_magic("config", "Pgai.llm_model = 'tiny-chat'")
        try:
            sql = ip.run_cell(f"%pgai ask --generator llm --dry-run --no-memory --schema {race_track} count races")
            assert sql.result == f"SELECT count(*) FROM {race_track}.race"
            assert server.requests and server.requests[0]["model"] == "tiny-chat"
        finally:
            ip.run_line_magic("config", "Pgai.llm_base_url = ''")
            ip.run_line_magic("config", "Pgai.llm_model = ''")
            ip.run_cell("%pgai status")
