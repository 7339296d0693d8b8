"""Chinese questions read as their English forms read: word order, sort order, compounds, ranges, superlatives,
negation, comparisons joined by 或, quotes and sense choice, on names shaped like Spider train's schemas
(department_management, climbing, aircraft, musical, company_office, entertainment_awards, roller_coaster,
candidate_poll; never a dev schema)."""

from __future__ import annotations

import zlib

import numpy as np
import psycopg
import pytest

from pgai_magic.catalog import load_catalog
from pgai_magic.nl2sql.translator import Translator
from pgai_magic.nl2sql.zh import Vocabulary, gloss, to_english
from pgai_magic.nl2sql.zh.numbers import phrases


def vocabulary(names: list[tuple[str, str, str]], values: tuple[tuple[str, str], ...] | list = ()) -> Vocabulary:
    vocab = Vocabulary()
    for name, kind, target in names:
        vocab.add_name(name, kind, target)
    for value, target in values:
        vocab.add_value(value, target)
    vocab.finish_comments()
    return vocab


DEPARTMENTS = vocabulary(
    [("department", "table", "d.department"), ("head", "table", "d.head"),
     ("born_state", "column", "d.head.born_state"), ("ranking", "column", "d.department.ranking"),
     ("name", "column", "d.head.name")],
    [("California", "d.head.born_state"), ("State", "d.department.name")],
)  # fmt: skip
CLIMBING = vocabulary(
    [("mountain", "table", "c.mountain"), ("climber", "table", "c.climber"), ("height", "column", "c.mountain.height"),
     ("name", "column", "c.mountain.name"), ("points", "column", "c.climber.points")]
)  # fmt: skip
AIRPORTS = vocabulary(
    [("airport", "table", "a.airport"), ("international_passengers", "column", "a.airport.international_passengers")]
)
PEOPLE = vocabulary(
    [("people", "table", "c.people"), ("weight", "column", "c.people.weight"), ("sex", "column", "c.people.sex"),
     ("height", "column", "c.people.height"), ("birth_date", "column", "c.people.birth_date")]
)  # fmt: skip


@pytest.mark.parametrize(
    ("vocab", "chinese", "english"),
    [
        # a modifier before 的 goes after its noun: 'that' a clause, 'with' a comparison, 'of' a noun
        (CLIMBING, "列出没有登山者攀登过的山的名称", "list name of mountain that do not have climber"),
        (CLIMBING, "得分最高的登山者", "climber with the highest score"),
        (AIRPORTS, "显示国际旅客最多的那个机场", "show the airport with the most international traveler"),
        (PEOPLE, "找出身高低于平均身高的人的名字", "show name of person with height less than average height"),
        # a question word that ends the question goes first; a single adjective stays before its noun
        (CLIMBING, "最高的山叫什么名字", "what is the name of highest mountain"),
        # the sort order goes last, as 'in ascending order of'
        (PEOPLE, "按身高从低到高列出人的出生日期", "list birth date of person in ascending order of height"),
        (PEOPLE, "按字母升序列出人的出生日期", "list birth date of person in ascending alphabetical order"),
        # a superlative right before its noun is the aggregate; before 是多少 too
        (PEOPLE, "求每种性别的平均体重和最小体重", "show average weight and minimum weight for each sex"),
        (PEOPLE, "人的体重最多和最少分别是多少", "what is weight maximum and minimum of person"),
        # 或 between two comparisons is 'or' (only 及/或 before 以上/以下 belong to the bound)
        (PEOPLE, "身高超过200或体重低于90的人", "person with height more than 200 or weight less than 90"),
        (PEOPLE, "年龄在25岁及以上的人", "person with age at least 25 years"),
        # 既…又…: two noun phrases, each in English order, after the noun they describe
        (
            CLIMBING,
            "显示既有高度超过5600的山又有高度低于5200的山的国家",
            "show country that have both mountain with height more than 5600 and mountain with height less than 5200",
        ),
        # a time phrase follows its noun as it is
        (None, "2024年的总销售额是多少？", "what is total revenue in 2024"),
    ],
)
def test_chinese_is_written_in_english_order(vocab: Vocabulary | None, chinese: str, english: str) -> None:
    assert to_english(chinese, vocab) == english


def test_words_whose_senses_together_name_a_column_are_one_name() -> None:
    """出生 'born' + 州 'state' (which alone would link the stored value 'State') name the column born_state."""
    spans = {s.text: s for s in gloss("出生州不是加州的负责人", DEPARTMENTS)}
    assert spans["出生州"].kind == "name" and spans["出生州"].target == "d.head.born_state"
    assert spans["加州"].english[0] == '"California"'


def test_a_function_word_that_names_a_column_links_to_it() -> None:
    """排名 is 'ranked by' in '按…排名', and the column `ranking` where the schema has one."""
    spans = {s.text: s for s in gloss("排名在10到15之间的部门", DEPARTMENTS)}
    assert spans["排名"].target == "d.department.ranking"
    assert "ranking between 10 and 15" in to_english("排名在10到15之间的部门", DEPARTMENTS)
    assert "ranked by" in to_english("各部门的排名", vocabulary([("department", "table", "d.department")]))


@pytest.mark.parametrize(
    ("text", "english"),
    [("排名在10到15之间", "between 10 and 15"), ("年龄介于20岁和30岁之间", "between 20 and 30"),
     ("2005年到2010年之间开业的", "between 2005 and 2010"), ("分数在一百到两百之间", "between 100 and 200")],
)  # fmt: skip
def test_ranges(text: str, english: str) -> None:
    assert [p.english for p in phrases(text)] == [english]


def test_negation_reads_as_the_english_the_translators_learned() -> None:
    assert to_english("没有任何公司办公室的建筑") == "construct that do not have any company office"
    assert "never" in to_english("从来没有下过单的客户").split()  # 从来没有 still 'never'


def test_quoted_values_right_after_chinese_text() -> None:
    assert '"Ha"' in to_english("名字里包含'Ha'的负责人", DEPARTMENTS)
    english = to_english("Tony's的奖项")
    assert "Tony's" in english and '"' not in english  # an apostrophe inside a word is not a quote


class Trigrams:
    """A stand-in sentence embedder for pure-logic tests: hashed character trigram counts, unit length."""

    ready = True

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for i, text in enumerate(texts):
            padded = f"  {text.lower()}  "
            for k in range(len(padded) - 2):
                out[i, zlib.crc32(padded[k : k + 3].encode()) % 256] += 1
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_sense_choice_against_the_schema() -> None:
    musical = Vocabulary(embedder=Trigrams())
    for name, kind, target in [("musical", "table", "m.musical"), ("nominee", "column", "m.musical.nominee"),
                               ("award", "column", "m.musical.award")]:  # fmt: skip
        musical.add_name(name, kind, target)
    spans = {s.text: s for s in gloss("显示不同的提名人", musical)}  # 提名 links nominee; 人 adds nothing
    assert spans["提名人"].target == "m.musical.nominee" and spans["提名人"].english[0] == "nominee"
    artwork = vocabulary([("artwork", "table", "e.artwork")])
    assert to_english("一共有多少件作品？", artwork) == "total how many artwork"  # 'work': the head of artwork
    company = vocabulary([("company", "table", "c.company"), ("headquarters", "column", "c.company.headquarters")],
                         [("Total", "c.company.industry")])  # fmt: skip
    assert '"Total"' not in to_english("被两家以上公司共用的总部", company)  # 共用 'use in total' is no value
    people = vocabulary([("people", "table", "c.people")])
    assert to_english("人的名字", people) == "name of person"  # 名字 'name of a person' is a name, not a person


@pytest.fixture()
def roller_coaster(conn: psycopg.Connection, schema: str) -> Translator:
    """A small copy of Spider train's `roller_coaster` schema."""
    conn.execute(
        f"""SET search_path TO {schema};
        CREATE TABLE country (country_id int PRIMARY KEY, name text, population int, area int, languages text);
        CREATE TABLE roller_coaster (roller_coaster_id int PRIMARY KEY, name text, park text, country_id int
            REFERENCES country, length float, height float, speed text, opened text, status text);
        INSERT INTO country VALUES (1, 'Austria', 8206524, 83871, 'German'), (2, 'Finland', 5261008, 338145,
            'Finnish Swedish'), (3, 'Sweden', 9047752, 449964, 'Swedish');
        INSERT INTO roller_coaster VALUES
            (1, 'Boardwalk Bullet', 'Kemah Boardwalk', 1, 3236, 96, '51', 'August 31, 2007', 'Operating'),
            (2, 'Dauling Dragon', 'Happy Valley', 1, 3200, 105, '55', '2012', 'Under construction'),
            (3, 'Hades 360', 'Mt. Olympus', 1, 4726, 136, '70', 'May 14, 2005', 'Operating'),
            (4, 'Ravine Flyer II', 'Waldameer', 2, 2900, 120, '57', 'May 17, 2008', 'Operating'),
            (5, 'Twister', 'Gröna Lund', 3, 1574, 50, '37.9', '2011', 'Operating');
        RESET search_path;"""
    )
    conn.execute(f"ANALYZE {schema}.country; ANALYZE {schema}.roller_coaster")
    return Translator(load_catalog(conn, [schema]), conn=conn)


@pytest.mark.parametrize(
    ("chinese", "english"),
    [
        ("长度超过3300或高度超过130的过山车叫什么名字？",
         "What are the names of roller coasters with length more than 3300 or height more than 130?"),
        ("高度在一百二十及以上的过山车有几个？", "How many roller coasters have a height of at least 120?"),
        ("状态不是\"Operating\"的过山车叫什么名字？",
         "What are the names of roller coasters whose status is not 'Operating'?"),
    ],
)  # fmt: skip
def test_rule_translator_reads_the_chinese_as_the_english(
    conn: psycopg.Connection, roller_coaster: Translator, chinese: str, english: str
) -> None:
    answers = [conn.execute(roller_coaster.translate(q).sql).fetchall() for q in (chinese, english)]
    assert answers[0] == answers[1] and answers[0]
