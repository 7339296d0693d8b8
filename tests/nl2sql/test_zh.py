"""Chinese questions: CC-CEDICT glosses, the hand lexicon, numbers, linking to an English schema, and the same answer
as the English question on a schema shaped like Spider train's `climbing` (never a dev schema)."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic.catalog import load_catalog
from pgai_magic.nl2sql.translator import Translator
from pgai_magic.nl2sql.zh import Vocabulary, dictionary, gloss, has_cjk, render, to_english
from pgai_magic.nl2sql.zh.numbers import number, phrases


def climbing_vocabulary() -> Vocabulary:
    vocab = Vocabulary()
    for name, kind, target in [
        ("mountain", "table", "c.mountain"),
        ("climber", "table", "c.climber"),
        ("height", "column", "c.mountain.height"),
        ("country", "column", "c.climber.country"),
        ("points", "column", "c.climber.points"),
        ("customer_name", "column", "c.customer.customer_name"),
    ]:
        vocab.add_name(name, kind, target)
    for value in ("United Kingdom", "Uganda", "Shanghai"):
        vocab.add_value(value, "c.climber.country")
    vocab.add_comment("客户名称", "customer_name")
    vocab.finish_comments()
    return vocab


def test_dictionary_gives_cleaned_english_senses() -> None:
    assert dictionary.senses("歌手")[0] == "singer"
    assert dictionary.senses("年龄")[0] == "age"  # "(a person's) age": the parenthesis dropped
    assert dictionary.senses("統計") == dictionary.senses("统计")  # traditional and simplified
    assert "Shanghai" in dictionary.senses("上海")  # 'Shanghai municipality, …': the proper name too
    assert not any(s.startswith(("CL:", "-")) for s in dictionary.senses("个"))
    assert dictionary.senses("不是一个词吧吧") == ()


@pytest.mark.parametrize(
    ("text", "value"), [("两万", 20000), ("450万", 4500000), ("一千万", 10000000), ("十五", 15), ("1.85", 1.85)]
)
def test_numbers(text: str, value: float) -> None:
    assert number(text) == value


def test_number_words_that_are_not_numbers_raise() -> None:
    with pytest.raises(ValueError, match="not a number"):
        number("一共")


def test_time_phrases_keep_their_offsets() -> None:
    text = "2010年以后开业的电影院，过去三个月"
    found = phrases(text)
    assert [(p.english, text[p.start : p.end]) for p in found] == [
        ("after 2010", "2010年以后"),
        ("last 3 months", "过去三个月"),
    ]


def test_spans_cover_the_question_and_link_to_the_schema() -> None:
    question = "国家是英国的登山者最高积分是多少？"
    spans = gloss(question, climbing_vocabulary())
    assert "".join(s.text for s in spans) == question
    assert all(question[s.start : s.end] == s.text for s in spans)
    by_text = {s.text: s for s in spans}
    assert by_text["英国"].kind == "value" and by_text["英国"].english[0] == '"United Kingdom"'
    assert by_text["登山者"].kind == "name" and by_text["登山者"].target == "c.climber"  # 登山 + 者: climber
    assert by_text["国家"].target == "c.climber.country"
    # 最高积分 (a superlative right before its noun): the maximum; the modifier before 的 goes after its noun
    assert render(spans) == 'what is climber maximum point with country is "United Kingdom"'


def test_comments_link_directly() -> None:
    spans = gloss("列出所有客户名称", climbing_vocabulary())
    assert [(s.text, s.english[0], s.kind) for s in spans if s.kind == "name"] == [
        ("客户名称", "customer name", "name")
    ]


@pytest.mark.parametrize(
    ("chinese", "english"),
    [
        ("显示过去一周销售额最高的前10个产品", "show top 10 product with the highest last 1 weeks revenue"),
        ("每个国家有多少客户？", "per country how many customer"),
        ("2024年的总销售额是多少？", "what is total revenue in 2024"),
        ("2024年6月30日之后注册的客户", "customer that after 2024-06-30 signed up"),
        ("前十名客户", "top 10 customer"),
        ("年龄在25岁及以上的飞行员", "pilot with age at least 25 years"),
        ("有一个以上办公室的建筑", "construct with more than 1 office"),
        ("人口超过两万的县里一共有多少个城市", "population more than 20000 county in total how many city"),
        ("按身高从低到高列出人的出生日期", "list birth date of people in ascending order of height"),
        ("平均身高是多少", "what is average height"),
        ('行业是"Banking"或"Conglomerate"的公司有几家', 'trade is "Banking" or "Conglomerate" company how many'),
    ],
)
def test_questions_written_in_english(chinese: str, english: str) -> None:
    assert to_english(chinese) == english


def test_place_suffix_and_stored_values() -> None:
    english = to_english("给我上海市一月份的气温", climbing_vocabulary())
    assert english.startswith("show") and '"Shanghai" january' in english


def test_no_dictionary_sense_reads_as_a_write() -> None:
    english = to_english("按建筑高度降序列出建筑名称")
    assert "drop" not in english.split() and english.startswith("list")


def test_has_cjk() -> None:
    assert has_cjk("多少") and not has_cjk("how many")


@pytest.fixture()
def climbing(conn: psycopg.Connection, schema: str) -> Translator:
    """A small copy of Spider train's `climbing` schema (two tables, one foreign key) in a fresh schema."""
    conn.execute(
        f"""SET search_path TO {schema};
        CREATE TABLE mountain (mountain_id int PRIMARY KEY, name text, height float, prominence float, range text,
                               country text);
        CREATE TABLE climber (climber_id int PRIMARY KEY, name text, country text, points float,
                              mountain_id int REFERENCES mountain);
        INSERT INTO mountain VALUES (1, 'Kibo', 5895, 5885, 'Kilimanjaro', 'Tanzania'),
            (2, 'Mount Kenya', 5199, 3825, 'Mount Kenya', 'Kenya'),
            (3, 'Mawenzi', 5148, 850, 'Kilimanjaro', 'Tanzania'), (4, 'Ngaliema', 5109, 3951, 'Rwenzori', 'Uganda');
        INSERT INTO climber VALUES (1, 'Klaus Enders', 'West Germany', 15, 1),
            (2, 'Ryan Davies', 'United Kingdom', 9, 2), (3, 'Jim Gibson', 'United Kingdom', 3, 3),
            (4, 'Hans Luthringhauser', 'West Germany', 10, 4),
            (5, 'Mick Horsepole', 'United Kingdom', 8, 4);
        RESET search_path;"""
    )
    conn.execute(f"ANALYZE {schema}.mountain; ANALYZE {schema}.climber")
    return Translator(load_catalog(conn, [schema]), conn=conn)


@pytest.mark.parametrize(
    ("chinese", "english", "rows"),
    [
        ("登山者来自多少个不同的国家？", "How many distinct countries are the climbers from?", [(2,)]),
        ("按字母升序列出山的名字", "What are the names of mountains in ascending alphabetical order?",
         [("Kibo",), ("Mawenzi",), ("Mount Kenya",), ("Ngaliema",)]),
        ("有多少座山？", "How many mountains are there?", [(4,)]),
    ],
)  # fmt: skip
def test_chinese_means_what_the_english_means(
    conn: psycopg.Connection, climbing: Translator, chinese: str, english: str, rows: list[tuple]
) -> None:
    answers = [conn.execute(climbing.translate(q).sql).fetchall() for q in (chinese, english)]
    assert answers[0] == answers[1] == rows
