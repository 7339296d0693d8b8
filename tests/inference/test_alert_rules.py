"""Alert rules: the tiny grammar (precedence, parentheses, not, per-feature metrics), clear errors with positions,
no evaluation of anything but comparisons, and the values a rule reads from a monitoring run."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgai_magic.errors import ModelError
from pgai_magic.inference.rules import observed, parse_rule

VALUES = {"psi": 0.4, "auc": 0.8, "n": 500.0, "p_value(plan)": 1e-6, "psi(age)": 0.05}


@pytest.mark.parametrize(
    ("text", "breached"),
    [
        ("psi > 0.25", True),
        ("psi > 0.25 or auc < 0.75", True),
        ("psi > 0.5 or auc < 0.75", False),
        ("psi > 0.25 and auc < 0.75", False),
        ("auc < 0.75 or psi > 0.25 and n >= 500", True),  # and binds tighter than or
        ("(auc < 0.75 or psi > 0.25) and n > 500", False),
        ("not auc < 0.75", True),
        ("NOT (psi <= 0.25)", True),
        ("p_value(plan) < 1e-3", True),
        ("psi(age) >= 0.05 and psi(age) == 0.05 and psi(age) != 0.1 and psi(age) <> 0.2", True),
        ("auc<.9", True),
        ("n > -1E+2", True),
    ],
)
def test_rules_evaluate_as_written(text: str, breached: bool) -> None:
    got, why, notes = parse_rule(text).evaluate(VALUES)
    assert got is breached and notes == []
    if breached and not text.lower().startswith("not"):
        assert why  # the comparisons that held, with the value seen


def test_the_reasons_name_the_values_seen() -> None:
    assert parse_rule("psi > 0.25 or auc < 0.75").evaluate(VALUES)[1] == ["psi 0.4 > 0.25"]


def test_an_unmeasured_metric_is_false_and_said() -> None:
    breached, _, notes = parse_rule("accuracy < 0.9 or psi > 0.3").evaluate(VALUES)
    assert breached and notes == ["accuracy was not measured, so `accuracy < 0.9` is false"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("psi >> 0.25", "character 6"),
        ("psi > 0.25 or", "expected name, found the end"),
        ("psy > 0.25", "unknown metric 'psy'"),
        ("auc(age) < 0.7", "not a per-feature metric"),
        ("psi(nope) > 0.1", "no feature 'nope'"),
        ("psi > x", "expected number"),
        ("psi > 0.25; DROP TABLE t", "unexpected ';'"),
        ("__import__('os').system('x') > 1", 'unexpected "\'"'),
        ("__import__ > 1", "unknown metric '__import__'"),
        ("psi > 0.25 auc < 0.5", "join comparisons with and / or"),
        ("(psi > 0.25", "expected )"),
    ],
)
def test_bad_rules_fail_clearly(text: str, message: str) -> None:
    with pytest.raises(ModelError, match="alert rule") as info:
        parse_rule(text, features=["age", "plan"])
    assert message in str(info.value)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="psiaucornd_()<>=!. 0123456789e-", max_size=40))
def test_any_text_parses_or_fails_with_a_model_error(text: str) -> None:
    try:
        rule = parse_rule(text)
    except ModelError:
        return
    assert isinstance(rule.evaluate(VALUES)[0], bool)


def test_observed_reads_metrics_and_per_feature_drift() -> None:
    drift = [
        {"feature": "age", "psi": 0.3, "status": "drift", "test": "KS", "statistic": 0.2, "p_value": 1e-5,
         "null_fraction_now": 0.0},
        {"feature": "plan", "psi": 0.05, "status": "stable", "test": "chi2", "statistic": 9.0, "p_value": 0.01,
         "null_fraction_now": 0.1},
    ]  # fmt: skip
    values = observed({"accuracy": 0.9, "n": 100, "split": "x"}, drift)
    assert values["psi"] == 0.3 and values["ks"] == 0.2 and values["chi2"] == 9.0 and values["p_value"] == 1e-5
    assert values["drifted"] == 1 and values["ks(age)"] == 0.2 and values["chi2(plan)"] == 9.0
    assert values["null_fraction(plan)"] == 0.1 and values["accuracy"] == 0.9 and "split" not in values
