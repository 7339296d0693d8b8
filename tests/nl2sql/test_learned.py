"""The learned translator (nl2sql/learned) on schemas shaped like Spider train's, checked by the value it returns.

The tables imitate train databases (ship_1's ships and captains, college_1's departments, professors and classes,
a course catalogue with a link table as in train's course schemas) with data made here; the questions are written
here (none from Spider dev). One test per class of error the learned translator is built against: the table a
count counts, filters kept and no column added, the aggregate of the right thing, keys inferred only to a parent
holding every child value, integer years compared as numbers, unknown words not refusing, and a confidence that
refuses what the schema cannot answer.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from pgai_magic.catalog import Catalog
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.evaluate import gold_is_ordered, results_match
from pgai_magic.nl2sql.learned.features import abbreviates, read_question
from pgai_magic.nl2sql.learned.link import link
from pgai_magic.nl2sql.learned.model import model
from pgai_magic.nl2sql.learned.nested import key_options
from pgai_magic.nl2sql.learned.render import render
from pgai_magic.nl2sql.learned.sketch import Item, Sketch, Unsupported, dump, in_keys, load, parse_sketch, roles
from pgai_magic.nl2sql.learned.translate import LearnedTranslator
from pgai_magic.nl2sql.learned.variants import variants
from tests.pg_helpers import schema_catalog

_SCHEMA = """
CREATE TABLE ship (ship_id int PRIMARY KEY, name text, type text, built_year int, class text, flag text);
INSERT INTO ship VALUES (1, 'HMS Manxman', 'Panamax', 1997, 'KR', 'Panama'), (2, 'HMS Gorgon', 'Panamax', 1998, 'KR',
  'Panama'), (3, 'HM Cutter Avenger', 'Panamax', 1997, 'KR', 'Panama'), (4, 'HM Schooner Hotspur', 'Panamax', 1998,
  'KR', 'Malta'), (5, 'HMS Destiny', 'Panamax', 1998, 'KR', 'Malta'), (6, 'HMS Trojan', 'Panamax', 1997, 'KR',
  'Malta'), (7, 'HM Sloop Sparrow', 'Panamax', 1997, 'KR', 'Malta'), (8, 'HMS Phalarope', 'Panamax', 1997, 'KR',
  'Malta'), (9, 'HMS Undine', 'Panamax', 1998, 'KR', 'Malta');
CREATE TABLE captain (captain_id int PRIMARY KEY, name text, ship_id int REFERENCES ship, age int, class text,
  rank text);
INSERT INTO captain VALUES (1, 'Captain Sir Henry Langford', 1, 40, 'Third-rate ship of the line', 'Midshipman'),
  (2, 'Captain Beves Conway', 2, 54, 'Third-rate ship of the line', 'Midshipman'),
  (3, 'Lieutenant Hugh Bolitho', 3, 43, 'Cutter', 'Midshipman'),
  (4, 'Lieutenant Montagu Verling', 4, 45, 'Armed schooner', 'Midshipman'),
  (5, 'Captain Henry Dumaresq', 5, 38, 'Frigate', 'Lieutenant'),
  (6, 'Captain Gilbert Pears', 2, 60, 'Third-rate ship of the line', 'Lieutenant'),
  (7, 'Commander Richard Bolitho', 3, 38, 'Sloop-of-war', 'Commander, junior captain');
CREATE TABLE department (dept_code text PRIMARY KEY, dept_name text, school_code text);
INSERT INTO department VALUES ('ACCT', 'Accounting', 'BUS'), ('BIOL', 'Biology', 'A&SCI'),
  ('CIS', 'Computer Info. Systems', 'BUS'), ('HIST', 'History', 'A&SCI');
CREATE TABLE professor (emp_num int PRIMARY KEY, dept_code text REFERENCES department, prof_office text,
  prof_high_degree text);
INSERT INTO professor VALUES (103, 'HIST', 'DRE 156', 'Ph.D.'), (104, 'ACCT', 'DRE 102', 'Ph.D.'),
  (105, 'ACCT', 'KLR 229D', 'Ph.D.'), (106, 'CIS', 'KLR 126', 'Ph.D.'), (110, 'BIOL', 'AAK 160', 'Ph.D.'),
  (114, 'ACCT', 'KLR 211', 'Ph.D.'), (155, 'CIS', 'KLR 209', 'MBA');
CREATE TABLE course (crs_code text PRIMARY KEY, dept_code text REFERENCES department, crs_description text,
  crs_credit int);
INSERT INTO course VALUES ('ACCT-211', 'ACCT', 'Accounting I', 3), ('ACCT-212', 'ACCT', 'Accounting II', 3),
  ('CIS-220', 'CIS', 'Intro. to Microcomputing', 3), ('CIS-420', 'CIS', 'Database Design', 4),
  ('QM-261', 'CIS', 'Intro. to Statistics', 3), ('QM-362', 'CIS', 'Statistical Applications', 4);
CREATE TABLE topic (topic_id int, course_code text, topic text);
INSERT INTO topic VALUES (1, 'ACCT-211', 'ledgers'), (2, 'ACCT-211', 'balances'), (3, 'CIS-220', 'hardware'),
  (4, 'QM-261', 'sampling');
CREATE TABLE enrolment (enrolment_id int PRIMARY KEY, course_code text, student text);
INSERT INTO enrolment SELECT g, (ARRAY['ACCT-211','ACCT-212','CIS-220','CIS-420','QM-261','QM-362'])[1 + g % 6],
  's' || g FROM generate_series(1, 30) g;
ANALYZE;
"""


@pytest.fixture(scope="module")
def world(pg_dsn: str) -> Iterator[tuple[psycopg.Connection, Catalog]]:
    with schema_catalog(pg_dsn, "lrn", _SCHEMA) as world_:
        yield world_


def _answer(world: tuple[psycopg.Connection, Catalog], question: str) -> tuple[str, list[tuple[object, ...]]]:
    """The learned translator's best answer (given at any threshold; the threshold is test_confidence_…'s)."""
    conn, catalog = world
    answer = LearnedTranslator(catalog, conn).best(question)
    assert answer is not None, question
    return answer.sql, conn.execute(answer.sql).fetchall()  # type: ignore[arg-type]  # SQL from the translator


def _check(world: tuple[psycopg.Connection, Catalog], question: str, gold: str) -> str:
    sql, rows = _answer(world, question)
    expected = world[0].execute(gold).fetchall()  # type: ignore[arg-type]  # SQL written in this test
    assert results_match(expected, rows, ordered=gold_is_ordered(gold)), (question, sql, rows, expected)
    assert len(world[0].execute(sql).description or []) == len(world[0].execute(gold).description or []), sql  # type: ignore[arg-type]
    return sql


def test_count_counts_the_table_the_question_names(world: tuple[psycopg.Connection, Catalog]) -> None:
    """Class 1: 'how many captains' counts captains, not ships joined to captains."""
    _check(world, "How many captains are there?", "SELECT count(*) FROM captain")
    _check(world, "Count the number of ships.", "SELECT count(*) FROM ship")


def test_filters_kept_and_no_column_added(world: tuple[psycopg.Connection, Catalog]) -> None:
    """Class 2: the comparison with a number is kept; only the asked column is returned."""
    _check(world, "What are the names of captains older than 50?", "SELECT name FROM captain WHERE age > 50")
    _check(world, "Show the names of ships with flag Malta.", "SELECT name FROM ship WHERE flag = 'Malta'")


def test_aggregate_of_the_right_thing(world: tuple[psycopg.Connection, Catalog]) -> None:
    """Class 3: 'different ranks' is a count of distinct values, an average is of the named column."""
    _check(world, "How many different ranks do captains have?", "SELECT count(DISTINCT rank) FROM captain")
    _check(world, "What is the average age of captains?", "SELECT avg(age) FROM captain")


def test_inferred_keys_need_a_parent_holding_every_child_value(world: tuple[psycopg.Connection, Catalog]) -> None:
    """Class 4: enrolment.course_code joins course (which holds every code), never topic (a link table whose
    course_code is neither unique nor complete)."""
    _, catalog = world
    inferred = [fk for fk in catalog.foreign_keys() if fk.inferred and fk.table.endswith(".enrolment")]
    assert inferred and all(fk.ref_table.endswith(".course") for fk in inferred), inferred
    assert not any(fk.ref_table.endswith(".topic") for fk in catalog.foreign_keys())


def test_integer_years_are_numbers(world: tuple[psycopg.Connection, Catalog]) -> None:
    """Class 5: a year stored as an integer is compared as a number."""
    _check(world, "What are the names of ships built after 1997?", "SELECT name FROM ship WHERE built_year > 1997")


def test_unknown_words_do_not_refuse(world: tuple[psycopg.Connection, Catalog]) -> None:
    """Class 6: words no rule knows ('serving', 'associated') do not refuse a question the schema answers."""
    _check(
        world,
        "What are the offices of professors serving in the Accounting department?",
        "SELECT p.prof_office FROM professor p JOIN department d ON p.dept_code = d.dept_code "
        "WHERE d.dept_name = 'Accounting'",
    )


def test_confidence_refuses_what_the_schema_cannot_answer(world: tuple[psycopg.Connection, Catalog]) -> None:
    """Class 7: a question about nothing in the schema is refused (confidence below the calibrated threshold)."""
    conn, catalog = world
    with pytest.raises(TranslationError):
        LearnedTranslator(catalog, conn).translate("What will the weather be like in Paris tomorrow afternoon?")
    sure = LearnedTranslator(catalog, conn).best("How many captains are there?")
    assert sure is not None and sure.confidence >= model().threshold


def test_abbreviations_and_values_link() -> None:
    """Identifier words abbreviating question words link ('fname' ~ 'first name', 'dept' ~ 'department'), not
    words that merely share letters ('age' is not 'average')."""
    assert abbreviates("fname", ["first", "name"]) and abbreviates("dept", ["department"])
    assert not abbreviates("age", ["average"])
    q = read_question("which ships belong to class KR?", {2: ["vessel"]})
    assert "vessel" in q.alts[2]


def test_sketch_reads_gold_sql_and_rejects_what_it_cannot_express() -> None:
    names = {"captain": ["name", "age", "rank"], "ship": ["ship_id", "name"]}
    s = parse_sketch("SELECT rank, count(*) FROM captain GROUP BY rank ORDER BY count(*) DESC LIMIT 1", names)
    assert s.skeleton() == "select c0, count(*) group by c0 order by count(*) desc limit 1"
    with pytest.raises(Unsupported):
        parse_sketch("SELECT name FROM (SELECT name FROM captain) AS x", names)


def test_sketch_reads_in_subqueries_and_renders_them(world: tuple[psycopg.Connection, Catalog]) -> None:
    """`c [NOT] IN (SELECT k FROM … [WHERE …])` is in the sketch class: its keys are not role-linked columns, its
    own filter columns are; filled with a foreign key of the catalog it renders SQL returning the gold's rows."""
    conn, catalog = world
    names = {t.name: [c.name for c in t.columns] for t in catalog.tables.values()}
    gold = "SELECT name FROM ship WHERE NOT ship_id IN (SELECT ship_id FROM captain WHERE age > 50)"
    s = parse_sketch(gold, names)
    assert s.skeleton() == "select c0 where c1 not in (select c2 where c3 > n)"
    assert in_keys(s) == [("ship.ship_id", ["captain.ship_id"])]
    assert roles(s) == {"ship.name": {"select"}, "captain.age": {"where"}}
    assert s.all_tables() == {"ship", "captain"} and s.values() == [50]
    template = s.rename({c: f"c{i}" for i, c in enumerate(s.columns())})
    assert load(dump(template)).skeleton() == template.skeleton()
    schema = next(iter(catalog.tables.values())).schema
    keyed = s.rename({c: f"{schema}.{c}" for c in s.columns()})
    tree = render(keyed, catalog)
    assert tree is not None
    sql = tree.sql(dialect="postgres")
    assert sorted(conn.execute(sql).fetchall()) == sorted(conn.execute(gold).fetchall()), sql  # type: ignore[arg-type]


def test_in_keys_come_from_foreign_keys(world: tuple[psycopg.Connection, Catalog]) -> None:
    """The filler takes an IN's two keys from a foreign key between the outer query's table and the subquery's:
    'ships that have no captain' compares ship.ship_id with captain.ship_id, whatever the role models say."""
    conn, catalog = world
    names = {t.name: [c.name for c in t.columns] for t in catalog.tables.values()}
    template = parse_sketch("SELECT name FROM ship WHERE NOT ship_id IN (SELECT ship_id FROM captain)", names)
    template = template.rename({c: f"c{i}" for i, c in enumerate(template.columns())})
    linked = link(read_question("What are the names of ships that have no captain?"), catalog, model(), conn)
    schema = next(iter(catalog.tables.values())).schema
    mapping = {"c0": f"{schema}.ship.name"}
    options = key_options(linked, template, mapping)
    assert options and options[0][1]["c1"] == f"{schema}.ship.ship_id", options
    assert options[0][1]["c2"] == f"{schema}.captain.ship_id", options


def test_numbers_the_template_leaves_out_become_conditions(world: tuple[psycopg.Connection, Catalog]) -> None:
    """A number of the question no neighbour's template uses is added as a comparison with the likeliest numeric
    column, the comparison read from the words before it ('older than 50' is `> 50`)."""
    conn, catalog = world
    linked = link(read_question("Which captains are older than 50 and have rank Midshipman?"), catalog, model(), conn)
    schema = next(iter(catalog.tables.values())).schema
    base = Sketch((Item(f"{schema}.captain.name"),))
    edits = dict((name, s) for s, name in variants(linked, base))
    added = edits["add_num"].where
    assert [(c.op, c.value) for c in added] == [(">", 50)] and added[0].item.column == f"{schema}.captain.age"
    both = edits["add_all"]
    assert {(c.item.column, c.op, c.value) for c in both.where} == {
        (f"{schema}.captain.age", ">", 50),
        (f"{schema}.captain.rank", "=", "Midshipman"),
    }


def test_filtered_scalar_subqueries_are_nested_sketches() -> None:
    """`c op (SELECT agg(c) FROM t WHERE …)` reads as a nested sketch whose columns are linked in the WHERE role."""
    names = {"captain": ["name", "age", "rank", "ship_id"], "ship": ["ship_id", "name", "built_year"]}
    s = parse_sketch(
        "SELECT name FROM captain WHERE age > (SELECT avg(age) FROM captain WHERE rank = 'Midshipman')", names
    )
    assert s.skeleton() == "select c0 where c1 > (select avg(c1) where c2 = v)"
    assert roles(s) == {"captain.name": {"select"}, "captain.age": {"where"}, "captain.rank": {"where"}}
    assert in_keys(s) == [] and s.values() == ["Midshipman"]


def test_candidates_that_agree_on_their_result_gain() -> None:
    """Execution agreement: of two candidates with the same score, the one whose result another candidate also
    returns ranks first."""
    from pgai_magic.nl2sql.learned.fill import Candidate
    from pgai_magic.nl2sql.learned.translate import _agree, _fingerprint

    sk = Sketch((Item(None, "count"),))
    a, b, c = (Candidate(sk, f"SELECT {k}", 0.0) for k in (1, 2, 3))
    checked = [(0.0, a, {}), (0.0, b, {}), (0.0, c, {})]
    results = [_fingerprint([(1,)]), _fingerprint([(2,)]), _fingerprint([(2,)])]
    ranked = sorted(_agree(checked, results, 1.0), key=lambda x: -x[0])
    assert ranked[0][1] is not a and ranked[0][2]["agree"] == 0.5
    assert _fingerprint([(1, "x")]) == _fingerprint([("x", 1)]) and _fingerprint([]) is None


def test_questions_about_rows_without_related_rows_use_not_in(world: tuple[psycopg.Connection, Catalog]) -> None:
    """'… that have no captain' is answered by a NOT IN over the foreign key (a shape only nested sketches write)."""
    _check(
        world,
        "What are the names of ships that do not have a captain?",
        "SELECT name FROM ship WHERE ship_id NOT IN (SELECT ship_id FROM captain)",
    )
    _check(
        world,
        "How many departments do not offer any course?",
        "SELECT count(*) FROM department WHERE dept_code NOT IN (SELECT dept_code FROM course)",
    )
