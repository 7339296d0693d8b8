"""Schema and value linking of the learned translator (nl2sql/learned: features.py, link.py, render.py).

The tables imitate Spider train's shapes (a problem tracker whose problems reference staff twice, a card table
whose card numbers are text made of digits, a people table with a gender column, a club's players with the names
of their sponsors); the data and the questions are written here (none from Spider dev).
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from pgai_magic.catalog import Catalog
from pgai_magic.nl2sql.learned.features import find_values, name_words, read_question, schema_features, window
from pgai_magic.nl2sql.learned.link import fk_preference
from pgai_magic.nl2sql.learned.render import render
from pgai_magic.nl2sql.learned.sketch import Cond, Item, Sketch
from tests.pg_helpers import schema_catalog

_SCHEMA = """
CREATE TABLE staff (staff_id int PRIMARY KEY, staff_first_name text, staff_last_name text);
INSERT INTO staff VALUES (1, 'Lacey', 'Bosco'), (2, 'Dameon', 'Frami'), (3, 'Kenton', 'Champlin');
CREATE TABLE problems (problem_id int PRIMARY KEY, closure_authorised_by_staff_id int REFERENCES staff,
  reported_by_staff_id int REFERENCES staff, product_code text, date_problem_reported date);
INSERT INTO problems VALUES (1, 2, 1, 'ACCT-211', '1978-06-26'), (2, 1, 2, 'ACCT-212', '1990-01-02'),
  (3, 3, 1, 'ACCT-211', '2001-11-12');
CREATE TABLE cards (card_id int PRIMARY KEY, card_number text, card_type_code text, valid_year text);
INSERT INTO cards VALUES (1, '4560596484842', 'Credit', '1996'), (2, '4859448397570735', 'Debit', '1997');
CREATE TABLE person (name text PRIMARY KEY, age int, gender text);
INSERT INTO person VALUES ('Alice', 25, 'female'), ('Bob', 35, 'male'), ('Zach', 45, 'male');
CREATE TABLE player (player_id int PRIMARY KEY, player_name text, sponsor_name text, residence text);
INSERT INTO player VALUES (1, 'Jim Maloway', 'Elmwood', 'Winnipeg'), (2, 'Ron Strike', 'Alliance', 'Brandon');
CREATE TABLE campuses (id int PRIMARY KEY, campus text, location text, county text, year int);
INSERT INTO campuses VALUES (1, 'California State University-Long Beach', 'Long Beach', 'Los Angeles', 1949),
  (2, 'California State University-Los Angeles', 'Los Angeles', 'Los Angeles', 1947),
  (3, 'San Jose State University', 'San Jose', 'Santa Clara', 1857);
ANALYZE;
"""


@pytest.fixture(scope="module")
def world(pg_dsn: str) -> Iterator[tuple[psycopg.Connection, Catalog]]:
    with schema_catalog(pg_dsn, "lnk", _SCHEMA) as world_:
        yield world_


def _hits(catalog: Catalog, question: str) -> set[tuple[str, str]]:
    q = read_question(question)
    return {(h.column.name, h.value) for h in find_values(q, catalog)}


def test_values_link_in_another_form_of_their_words(world: tuple[psycopg.Connection, Catalog]) -> None:
    """A stored value written as a plural ('females' for 'female') is a value hit of its column."""
    assert ("gender", "female") in _hits(world[1], "How many females are there?")
    assert _hits(world[1], "How many people are there?") == set()


def test_digit_values_link_only_where_quoted(world: tuple[psycopg.Connection, Catalog]) -> None:
    """A text value made of digits links where the question quotes it; an unquoted number stays a number."""
    assert ("card_number", "4560596484842") in _hits(world[1], "Which card type has card number '4560596484842'?")
    q = read_question("How many cards are valid in 1996?")
    q.hits = find_values(q, world[1])
    assert not q.hits and [v for _, v in q.numbers()] == [1996]


def test_numbers_inside_a_value_and_dates_as_literals(world: tuple[psycopg.Connection, Catalog]) -> None:
    """The 211 of a code value is not also a number of the question; a date is a literal a WHERE can use."""
    q = read_question("Which problems were reported by Bosco before 1978-06-27?")
    q.hits = find_values(q, world[1])
    assert {h.value for h in q.hits} == {"Bosco"}
    assert [v for _, v in q.quoted()] == ["1978-06-27"]
    coded = read_question("How many problems reported by staff 3 are about product ACCT-211?")
    assert [v for _, v in coded.numbers()] == [3, 211]  # before linking: both are numbers
    coded.hits = find_values(coded, world[1])
    assert {(h.column.name, h.value) for h in coded.hits} == {("product_code", "ACCT-211")}
    assert [v for _, v in coded.numbers()] == [3]


def test_names_written_as_x_of_y_link_closer() -> None:
    """'names of sponsors' is sponsor_name (a tight 'of' phrase), not player_name ('players' is further away)."""
    q = read_question("Show the names of sponsors of players whose residence is Brandon.")
    sponsor, player = window(q, name_words("sponsor_name")), window(q, name_words("player_name"))
    assert sponsor.get("of_phrase") == 1.0 and "of_phrase" not in player
    assert sponsor["tight"] > player["tight"]
    assert window(q, name_words("residence")) == {}  # one word: no window


def test_joins_take_the_foreign_key_the_question_names(world: tuple[psycopg.Connection, Catalog]) -> None:
    """A table referencing another twice joins through the key whose words the question writes."""
    conn, catalog = world
    schema = next(iter(catalog.tables.values())).schema
    fks = {fk.columns[0]: fk for fk in catalog.foreign_keys() if fk.table == f"{schema}.problems"}
    sk = Sketch(
        select=(Item(f"{schema}.problems.problem_id"),),
        where=(Cond(Item(f"{schema}.staff.staff_last_name"), "=", "Bosco"),),
    )
    for question, used, expected in (
        ("Which problems were reported by the staff named Bosco?", "reported_by_staff_id", [(1,), (3,)]),
        ("Which problems did Bosco authorise the closure of?", "closure_authorised_by_staff_id", [(2,)]),
    ):
        q = read_question(question)
        scores = {c: fk_preference(q, catalog, fk) for c, fk in fks.items()}
        assert max(scores, key=lambda c: scores[c]) == used
        tree = render(sk, catalog, prefer=lambda fk, q=q: fk_preference(q, catalog, fk))
        assert tree is not None
        sql = tree.sql(dialect="postgres")
        assert used in sql
        assert sorted(conn.execute(sql).fetchall()) == expected  # type: ignore[arg-type]  # built by sqlglot


def test_a_value_links_closer_to_the_column_named_beside_it(world: tuple[psycopg.Connection, Catalog]) -> None:
    """A value stored in two columns ('Los Angeles': a location and a county) is marked for the column whose name
    the question writes beside it ('Los Angeles county')."""
    catalog = world[1]
    q = read_question("Which campuses are in Los Angeles county?")
    q.hits = find_values(q, catalog)
    assert {h.column.name for h in q.hits} == {"location", "county"}
    feats, _ = schema_features(q, catalog)
    by_name = {k.rpartition(".")[2]: f for k, f in feats.items() if ".campuses." in k}
    assert by_name["county"].get("value_named") == 1.0 and "value_named" not in by_name["location"]
