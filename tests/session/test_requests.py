"""train, embed, persist and load take one frozen request each: its fields are the options, spelled once (their
defaults, normalisation and checks), and the session verb only forwards them (pure logic, no database)."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Any

import pytest

from pgai_magic.commands import given, request_fields
from pgai_magic.errors import ConfigError, ModelError
from pgai_magic.inference.request import TrainRequest
from pgai_magic.session import Session
from pgai_magic.vectors.request import EmbedRequest
from pgai_magic.workflow.request import LoadRequest, PersistRequest

REQUESTS = {"train": TrainRequest, "embed": EmbedRequest, "persist": PersistRequest, "load": LoadRequest}


@pytest.mark.parametrize("verb", sorted(REQUESTS))
def test_the_session_verb_restates_no_option(verb: str) -> None:
    options = {f.name for f in dataclasses.fields(REQUESTS[verb]) if f.default is not dataclasses.MISSING}
    params = inspect.signature(getattr(Session, verb)).parameters
    restated = {name for name, p in params.items() if name in options and p.default is not inspect.Parameter.empty}
    # kept positional, as None ("not given"): session.embed("t.c", "model-folder", 64), session.load(path, "t")
    allowed = {"embed": {"model", "batch_size"}, "load": {"table"}}.get(verb, set())
    assert restated <= allowed and all(params[name].default is None for name in restated)
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def test_requests_are_frozen_and_rebuilt_from_their_fields_unchanged() -> None:
    made: list[Any] = [
        TrainRequest("churn", "churned", "SELECT 1", test_size=0.3, strategy="never"),
        EmbedRequest("docs.body", columns="title,body", batch_size=64),
        PersistRequest("shop.orders", mode="append", index=True),
        LoadRequest(Path("data.csv"), header=False),
    ]
    for request in made:
        assert type(request)(**request_fields(request)) == request
        with pytest.raises(dataclasses.FrozenInstanceError):
            request.table = "other"


def test_embed_columns_are_normalised_once() -> None:
    assert EmbedRequest("t", columns="title,body").column_names == ("title", "body")
    assert EmbedRequest("t", columns=["title", "body"]).column_names == ("title", "body")
    assert EmbedRequest("t.c").column_names is None


@pytest.mark.parametrize("size", [0, -1, 100_001])
def test_a_batch_size_out_of_range_is_refused(size: int) -> None:
    with pytest.raises(ConfigError, match=f"--batch-size must be from 1 to 100000 rows, not {size}"):
        EmbedRequest("t.c", batch_size=size)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"strategy": "latest"}, "unknown deploy strategy 'latest': use one of best, newest, never"),
        ({"task": "ranking"}, "unknown task 'ranking': use one of classification, regression"),
    ],
)
def test_a_bad_train_option_is_refused_before_anything_runs(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ModelError, match=message):
        TrainRequest("churn", "churned", "SELECT 1", **options)


def test_modes_and_paths() -> None:
    with pytest.raises(ConfigError, match="unknown mode 'upsert': use create, append or replace"):
        PersistRequest("t", mode="upsert")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="unknown mode 'merge'"):
        LoadRequest(Path("x.csv"), mode="merge")  # type: ignore[arg-type]
    assert LoadRequest("~/x.csv").path == Path.home() / "x.csv"  # type: ignore[arg-type]
    assert LoadRequest(Path("x.csv")).encoding == "utf-8" and LoadRequest(Path("x.csv")).table is None


def test_given_keeps_only_what_the_user_gave() -> None:
    assert given(a=None, b=0, c="", d=False) == {"b": 0, "c": "", "d": False}
    assert TrainRequest("m", "y", "SELECT 1", **given(test_size=None, task=None)).test_size == 0.2
