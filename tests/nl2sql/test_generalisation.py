"""The translator on schemas it was not written for: each class of question it must generalise to, checked by
the value the answer returns (compared with hand-written SQL on the same data).

The tables imitate real public data: `trips`/`carriers`/`ports` join by codes with no declared foreign key
(as nycflights13), `birds` stores units in its column names (as palmerpenguins), `staff` has Chinese comments
and Chinese values, `aircraft` has an integer year column, and `schools`/`course` join by a text column
naming the other table (`course.department` -> `department.name`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from pgai_magic.catalog import load_catalog
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.evaluate import gold_is_ordered, results_match
from pgai_magic.nl2sql.text import tokenize
from pgai_magic.nl2sql.translator import Translator
from pgai_magic.nl2sql.zh.numbers import number as zh_number
from pgai_magic.session import Session
from tests.pg_helpers import drop_schema

TODAY = dt.date(2024, 6, 19)  # a Wednesday

_SCHEMA = """
CREATE TABLE carriers (carrier text, name text);
INSERT INTO carriers VALUES ('UA', 'United Air Lines Inc.'), ('AA', 'American Airlines Inc.'),
  ('DL', 'Delta Air Lines Inc.');
CREATE TABLE ports (faa text, name text, tz text);
INSERT INTO ports VALUES ('JFK', 'John F Kennedy Intl', 'America/New_York'),
  ('LGA', 'La Guardia', 'America/New_York'), ('LAX', 'Los Angeles Intl', 'America/Los_Angeles'),
  ('DEN', 'Denver Intl', 'America/Denver'), ('ORD', 'Chicago Ohare Intl', 'America/Chicago');
CREATE TABLE trips (trip_no int, carrier text, origin text, dest text, dep_delay int, arr_delay int,
  distance int, month int, dep_time timestamp);
INSERT INTO trips
SELECT g, (ARRAY['UA','AA','DL'])[1 + g % 3], (ARRAY['JFK','LGA'])[1 + g % 2],
       (ARRAY['LAX','DEN','ORD','LAX'])[1 + g % 4], (g * 37) % 200 - 20, (g * 53) % 220 - 30,
       500 + (g * 97) % 2000, 1 + (g % 12), timestamp '2024-01-01 06:00' + (g * interval '17 hours')
FROM generate_series(1, 600) g;
CREATE TABLE birds (bird_id int PRIMARY KEY, species text, island text, sex text, body_mass_g int,
  flipper_length_mm int);
INSERT INTO birds
SELECT g, (ARRAY['Adelie','Gentoo','Chinstrap'])[1 + g % 3], (ARRAY['Biscoe','Dream','Torgersen'])[1 + g % 3 + 0],
       CASE WHEN g % 5 = 0 THEN NULL WHEN g % 2 = 0 THEN 'female' ELSE 'male' END,
       3000 + (g * 41) % 3000, 170 + (g * 7) % 60
FROM generate_series(1, 300) g;
CREATE TABLE staff (id int PRIMARY KEY, xm text, xb text, nl int, bm text, gz numeric, rzrq date);
COMMENT ON TABLE staff IS '员工信息表';
COMMENT ON COLUMN staff.xm IS '姓名'; COMMENT ON COLUMN staff.xb IS '性别'; COMMENT ON COLUMN staff.nl IS '年龄';
COMMENT ON COLUMN staff.bm IS '部门'; COMMENT ON COLUMN staff.gz IS '月工资';
COMMENT ON COLUMN staff.rzrq IS '入职日期';
INSERT INTO staff
SELECT g, 'n' || g, CASE WHEN g % 2 = 0 THEN '男' ELSE '女' END, 20 + g % 30, (ARRAY['研发','销售','财务'])[1 + g % 3],
       5000 + g * 10, date '2020-01-01' + g * 7
FROM generate_series(1, 200) g;
CREATE TABLE aircraft (tailnum text, year int, seats int, manufacturer text);
INSERT INTO aircraft SELECT 'N' || g, 1980 + g % 40, 50 + g % 300, (ARRAY['BOEING','AIRBUS'])[1 + g % 2]
FROM generate_series(1, 120) g;
CREATE TABLE department (name text, building text);
INSERT INTO department VALUES ('Physics', 'Watson'), ('Biology', 'Painter'), ('History', 'Taylor'),
  ('Chemistry', 'Hall');
CREATE TABLE course (course_id int PRIMARY KEY, title text, department text, credits int);
INSERT INTO course SELECT g, 'c' || g, (ARRAY['Physics','Biology','History','Physics'])[1 + g % 4], 3 + g % 2
FROM generate_series(1, 40) g;
ANALYZE;
"""


@pytest.fixture(scope="module")
def world(pg_dsn: str, session: Session) -> Iterator[tuple[psycopg.Connection, Translator]]:
    name = f"gen_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_dsn, autocommit=True, options=f"-c search_path={name},public") as conn:
        conn.execute(f"CREATE SCHEMA {name}")
        conn.execute(_SCHEMA)
        yield conn, Translator(load_catalog(conn, [name]), conn=conn, today=TODAY)
        drop_schema(conn, name)


CASES = [
    # 1. joins nobody declared: by same-named codes, by a code column, by a column naming the other table
    (
        "average arrival delay by carrier name",
        "SELECT c.name, avg(t.arr_delay) FROM trips t JOIN carriers c USING (carrier) GROUP BY c.name",
    ),
    (
        "how many trips did United Air Lines Inc. fly",
        "SELECT count(*) FROM trips JOIN carriers USING (carrier) WHERE name = 'United Air Lines Inc.'",
    ),
    (
        "how many courses does each department offer",
        "SELECT d.name, count(*) FROM course c JOIN department d ON c.department = d.name GROUP BY d.name",
    ),
    (
        "which departments have never offered a course",
        "SELECT * FROM department d WHERE NOT EXISTS (SELECT 1 FROM course c WHERE c.department = d.name)",
    ),
    # 2. percentages and shares
    (
        "what percentage of birds are female",
        "SELECT 100.0 * count(*) FILTER (WHERE sex = 'female') / count(*) FROM birds",
    ),
    (
        "percentage of female birds by island",
        "SELECT island, 100.0 * count(*) FILTER (WHERE sex = 'female') / count(*) FROM birds GROUP BY island",
    ),
    (
        "share of trips by origin",
        "SELECT origin, 100.0 * count(*) / sum(count(*)) OVER () FROM trips GROUP BY 1",
    ),
    # 3. dates: quarters by ordinal, a day, month ranges, weekdays, integer years, 'N days ago', 'last Monday'
    (
        "how many trips in the first quarter of 2024",
        "SELECT count(*) FROM trips WHERE dep_time >= '2024-01-01' AND dep_time < '2024-04-01'",
    ),
    (
        "how many trips on 15 March 2024",
        "SELECT count(*) FROM trips WHERE dep_time >= '2024-03-15' AND dep_time < '2024-03-16'",
    ),
    (
        "how many trips from January to March 2024",
        "SELECT count(*) FROM trips WHERE dep_time >= '2024-01-01' AND dep_time < '2024-04-01'",
    ),
    ("how many trips on weekends", "SELECT count(*) FROM trips WHERE extract(isodow FROM dep_time) IN (6, 7)"),
    ("how many aircraft were built before 2000", "SELECT count(*) FROM aircraft WHERE year < 2000"),
    (
        "how many trips since last March",
        "SELECT count(*) FROM trips WHERE dep_time >= '2024-03-01'",
    ),
    (
        "how many trips left last Monday",
        "SELECT count(*) FROM trips WHERE dep_time >= '2024-06-17' AND dep_time < '2024-06-18'",
    ),
    # 4. words that name columns indirectly: abbreviations, units, superlatives, ordering words
    ("average departure delay by month", "SELECT month, avg(dep_delay) FROM trips GROUP BY month"),
    ("how many trips were delayed by more than 2 hours", "SELECT count(*) FROM trips WHERE dep_delay > 120"),
    ("how many birds weigh more than 5 kg", "SELECT count(*) FROM birds WHERE body_mass_g > 5000"),
    ("the 3 heaviest birds", "SELECT * FROM birds ORDER BY body_mass_g DESC LIMIT 3"),
    (
        "carriers ranked from best to worst average arrival delay",
        "SELECT c.name, avg(arr_delay) AS d FROM trips JOIN carriers c USING (carrier) GROUP BY 1 ORDER BY d ASC",
    ),
    ("list carriers alphabetically", "SELECT * FROM carriers ORDER BY name"),
    ("total number of seats of BOEING aircraft", "SELECT sum(seats) FROM aircraft WHERE manufacturer = 'BOEING'"),
    # 5. values in key columns
    ("how many trips went to LAX", "SELECT count(*) FROM trips WHERE dest = 'LAX'"),
    ("average departure delay of trips from JFK", "SELECT avg(dep_delay) FROM trips WHERE origin = 'JFK'"),
    # 8. numbers written as words
    ("top twenty five trips by distance", "SELECT * FROM trips ORDER BY distance DESC LIMIT 25"),
    ("top one hundred trips by distance", "SELECT * FROM trips ORDER BY distance DESC LIMIT 100"),
    # 9. Chinese: comments, values, numerals
    ("员工性别分布", "SELECT xb, count(*) FROM staff GROUP BY xb"),
    ("各部门的平均工资", "SELECT bm, avg(gz) FROM staff GROUP BY bm"),
    ("研发部门的平均年龄", "SELECT avg(nl) FROM staff WHERE bm = '研发'"),
    ("2021年入职的员工有多少", "SELECT count(*) FROM staff WHERE rzrq >= '2021-01-01' AND rzrq < '2022-01-01'"),
    ("工资最高的前5名员工", "SELECT * FROM staff ORDER BY gz DESC LIMIT 5"),
    # other statistics
    ("median body mass of birds", "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY body_mass_g) FROM birds"),
    (
        "smallest and largest flipper length",
        "SELECT min(flipper_length_mm), max(flipper_length_mm) FROM birds",
    ),
]


@pytest.mark.parametrize(("question", "gold"), CASES, ids=[c[0][:40] for c in CASES])
def test_generalises(world: tuple[psycopg.Connection, Translator], question: str, gold: str) -> None:
    conn, translator = world
    result = translator.translate(question)
    expected = conn.execute(gold).fetchall()
    got = conn.execute(result.sql).fetchall()
    assert expected, f"the gold query for {question!r} returns no rows on this data"
    assert results_match(expected, got, ordered=gold_is_ordered(gold)), f"{question!r} gave\n{result.sql}"


def test_inferred_joins_are_checked_against_the_data(world: tuple[psycopg.Connection, Translator]) -> None:
    _conn, translator = world
    keys = {(fk.table.split(".")[1], fk.columns, fk.ref_table.split(".")[1], fk.ref_columns, fk.inferred)
            for fk in translator.catalog.foreign_keys()}  # fmt: skip
    assert ("trips", ("carrier",), "carriers", ("carrier",), True) in keys
    assert ("trips", ("dest",), "ports", ("faa",), True) in keys
    assert ("course", ("department",), "department", ("name",), True) in keys
    # same name, but 'month' is not unique anywhere and birds.island matches no code column: no join
    assert not any(t == "birds" for t, *_ in keys)


def test_a_lost_filter_refuses_instead_of_answering_wrong(world: tuple[psycopg.Connection, Translator]) -> None:
    _conn, translator = world
    with pytest.raises(TranslationError, match=r"(?i)atlantis"):
        translator.translate("average departure delay of trips to Atlantis")


@pytest.mark.parametrize(
    ("text", "value"), [("top one hundred", 100), ("twenty five", 25), ("thirty-two", 32), ("ninety nine", 99)]
)
def test_number_words(text: str, value: int) -> None:
    assert [t.value for t in tokenize(text) if t.kind == "num"] == [value]


@pytest.mark.parametrize(("text", "value"), [("一百", 100), ("二十五", 25), ("两千", 2000), ("十", 10)])
def test_chinese_numbers(text: str, value: int) -> None:
    assert zh_number(text) == value


def test_reserved_alias_and_no_count_distinct_star(world: tuple[psycopg.Connection, Translator]) -> None:
    conn, translator = world
    conn.execute('CREATE TABLE "is" (id int PRIMARY KEY, carrier text)')  # a table whose initials are a keyword
    try:
        fresh = Translator(load_catalog(conn, [translator.catalog.schemas[0]]), conn=conn, today=TODAY)
        sql = fresh.translate("how many aircraft with more than 100 seats were built before 1990").sql
        assert "DISTINCT *" not in sql
        conn.execute(sql)
    finally:
        conn.execute('DROP TABLE "is"')
