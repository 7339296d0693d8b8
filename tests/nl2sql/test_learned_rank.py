"""The ranking stage of the learned translator: the neighbours' vote on a candidate's own shape and its keywords,
and the read-only result check that counts NULL-only or zero-only results as empty.

Skeletons are written here in the sketch notation (nl2sql/learned/sketch.py) with shapes as Spider train's
questions have them (a count, a superlative, a grouped count); no question of Spider dev is used.
"""

from __future__ import annotations

import math

import pytest

from pgai_magic.nl2sql.learned.rank import atoms, shape_features, shape_vote
from pgai_magic.nl2sql.learned.translate import _hollow

_COUNT = "select count(*)"
_TOP = "select c0 order by c1 desc limit 1"
_GROUP = "select c0, count(*) group by c0"


def test_atoms_are_the_keywords_of_a_skeleton() -> None:
    assert atoms(_TOP) >= {"order", "desc", "limit", "items1"}
    assert "count(*)" in atoms(_GROUP) and "group" in atoms(_GROUP) and "items2" in atoms(_GROUP)
    assert "group" not in atoms(_COUNT)


def test_a_variant_is_scored_by_its_own_shape_not_its_template() -> None:
    skeletons = [_COUNT, _TOP, _GROUP]
    # three neighbours: two superlatives (similarity 0.9 and 0.8), one grouped count (0.5)
    vote = shape_vote(skeletons, [(1, 0.9), (1, 0.8), (2, 0.5)])
    total = 0.81 + 0.64 + 0.25
    assert vote.by_skeleton[_TOP] == pytest.approx((0.81 + 0.64) / total)
    assert vote.nearest == {_TOP: 0.9, _GROUP: 0.5}
    assert vote.keywords["count(*)"] == pytest.approx(0.25 / total)
    top = shape_features(vote, _TOP)
    count = shape_features(vote, _COUNT)
    assert top["skel_vote"] > count["skel_vote"] == 0.0
    assert count["skel_none"] == 1.0 and top["skel_none"] == 0.0
    assert top["skel_sim"] == 0.9 and count["skel_sim"] == 0.0
    # the keyword vote prefers the neighbours' keywords: order/desc/limit agree, count(*) does not
    assert top["kw_ll"] > count["kw_ll"]
    assert top["kw:desc"] > 0 > count["kw:desc"]
    # lacked by the count: order, desc, limit, 1 (the superlatives' share each), group, items2 (the grouped one's)
    assert count["kw_missing"] == pytest.approx(4 * (0.81 + 0.64) / total + 2 * 0.25 / total)
    assert all(math.isfinite(v) for v in [*top.values(), *count.values()])


def test_no_neighbours_give_finite_neutral_features() -> None:
    vote = shape_vote([_COUNT], [])
    feats = shape_features(vote, _COUNT)
    assert feats["skel_vote"] == 0.0 and feats["kw_missing"] == 0.0
    assert all(math.isfinite(v) for v in feats.values())


@pytest.mark.parametrize(
    ("rows", "hollow"),
    [
        ([], 0.0),  # empty: its own feature
        ([(0,)], 1.0),  # a count over no matching row
        ([(None, 0)], 1.0),
        ([(3,)], 0.0),
        ([("Malta", None), ("Panama", None)], 1.0),  # a column NULL in every row
        ([("Malta", None), ("Panama", 2)], 0.0),
        ([(0,), (0,)], 0.0),  # several rows of zeros are data (e.g. counts per group)
    ],
)
def test_results_that_say_nothing_count_as_empty(rows: list[tuple[object, ...]], hollow: float) -> None:
    assert _hollow(rows) == hollow


def test_the_shipped_ranker_weighs_the_shape_vote() -> None:
    from pgai_magic.nl2sql.learned.model import model

    ranker = model().ranker
    assert ranker is not None
    assert {"skel_vote", "skel_sim", "kw_ll"} <= ranker.weights.keys()
    assert ranker.weights["skel_sim"] > 0  # a neighbour close to the question with exactly this shape: more likely
