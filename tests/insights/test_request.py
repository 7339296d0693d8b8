"""The insights arguments as one frozen request: normalised once, checked once (pure logic, no database)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from pgai_magic.errors import ConfigError
from pgai_magic.insights import InsightsRequest
from pgai_magic.insights.engine import _request


def test_names_are_normalised_once() -> None:
    request = InsightsRequest(table="orders", measure=" revenue, units ,", dimensions=["region", " channel "])
    assert request.measure == ("revenue", "units") and request.measures == ["revenue", "units"]
    assert request.dimensions == ("region", "channel") and request.dims == ["region", "channel"]
    assert InsightsRequest(query="SELECT 1", measure=" , ").measures is None
    # the normalised request rebuilt from its fields is the same request (the command passes it on so)
    assert InsightsRequest(**dataclasses.asdict(request)) == request
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.top = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "not both and not neither"),
        ({"table": "t", "query": "SELECT 1"}, "not both and not neither"),
        ({"table": "t", "top": 0}, "--top must be at least 1, not 0"),
        ({"table": "t", "budget": math.nan}, "--budget must be a number of seconds in (0, 86400], not nan"),
        ({"table": "t", "budget": 0}, "--budget must be a number of seconds"),
        ({"table": "t", "budget": 90_000}, "--budget must be a number of seconds"),
        ({"table": "t", "sample": 1.5}, "sample must be a fraction in (0, 1], not 1.5"),
    ],
)
def test_bad_arguments_name_what_is_wrong(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        InsightsRequest(**options)
    assert message in str(err.value)


def test_a_request_or_keywords_not_both() -> None:
    request = InsightsRequest(table="orders", top=5)
    assert _request(request, {}) is request
    assert _request(None, {"table": "orders", "top": 5}) == request
    with pytest.raises(ConfigError, match="not both"):
        _request(request, {"top": 3})
