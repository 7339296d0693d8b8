"""The default model loads in a background thread: status answers at once, the first embedding waits for it."""

from __future__ import annotations

import threading
import uuid

import pytest
from IPython.core.interactiveshell import InteractiveShell

from pgai_magic.embed.base import FakeEmbedder
from pgai_magic.errors import EmbeddingError
from pgai_magic.session import Session


def test_status_does_not_wait_for_the_model(own_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    import pgai_magic.embed.sentence as sentence

    release = threading.Event()
    fake = FakeEmbedder(dim=8, name="slow-model")

    def slow_load(name: str | None = None, device: str | None = None) -> FakeEmbedder:
        assert release.wait(60), "the test never released the load"
        return fake

    monkeypatch.setattr(sentence, "load_embedder", slow_load)
    service = own_session.vectors
    service.preload()
    assert service.loading
    status = own_session.status()  # answers while the model is still loading
    assert status["embedder"].startswith("loading in the background")
    release.set()
    assert service.embedder is fake  # waits for the load to finish
    status = own_session.status()
    assert status["embedder"] == "slow-model" and status["embedder load time"].endswith("s (in the background)")
    assert service.load_seconds is not None


def test_a_failed_load_is_reported_and_tried_again(own_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    import pgai_magic.embed.sentence as sentence

    def broken(name: str | None = None, device: str | None = None) -> FakeEmbedder:
        raise EmbeddingError("cannot load embedding model 'x': no such folder")

    monkeypatch.setattr(sentence, "load_embedder", broken)
    own_session.vectors.preload()
    with pytest.raises(EmbeddingError, match="no such folder"):
        _ = own_session.vectors.embedder
    assert own_session.status()["embedder"].startswith("unavailable: cannot load embedding model")
    monkeypatch.setattr(sentence, "load_embedder", lambda name=None, device=None: FakeEmbedder(name="second-try"))
    assert own_session.vectors.embedder.name == "second-try"


def test_loading_the_extension_starts_the_load(ip: InteractiveShell) -> None:
    session = ip.user_ns["_pgai_magics"]._get_session()
    assert session.vectors.loading or session.vectors.load_seconds is not None


def test_the_first_ask_does_not_wait_for_the_model(own_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    import pgai_magic.embed.sentence as sentence

    release = threading.Event()

    def slow_load(name: str | None = None, device: str | None = None) -> FakeEmbedder:
        assert release.wait(60), "the test never released the load"
        return FakeEmbedder(dim=8, name="slow-model")

    monkeypatch.setattr(sentence, "load_embedder", slow_load)
    schema = f"load_{uuid.uuid4().hex[:8]}"
    own_session.sql(f"CREATE SCHEMA {schema}")
    own_session.sql(f"CREATE TABLE {schema}.items (item_id int PRIMARY KEY, colour text)")
    own_session.sql(
        f"INSERT INTO {schema}.items SELECT g, (ARRAY['red','blue'])[1 + g % 2] FROM generate_series(1, 9) g"
    )
    own_session.vectors.preload()
    try:
        assert own_session.vectors.loading
        seen: list = []
        frame = own_session.ask("how many items are there", schema=schema, on_answer=seen.append)
        assert own_session.vectors.loading, "ask waited for the model"
        assert int(frame.iloc[0, 0]) == 9
        assert any("still loading" in note for note in seen[0].notes)
        release.set()
        assert own_session.vectors.embedder.name == "slow-model"  # the load finishes
        own_session.ask("how many items are red", schema=schema)  # the next question saves the first one too
        asked = set(own_session.questions.history(limit=10)["question"])
        assert {"how many items are there", "how many items are red"} <= asked
    finally:
        release.set()
        own_session.sql(f"DROP SCHEMA {schema} CASCADE")


def test_warm_up_imports_the_first_question_s_modules_before_the_model(
    own_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    import pgai_magic.embed.sentence as sentence
    from pgai_magic.commands.ask import warm_up

    order: list[str] = []

    def load(name: str | None = None, device: str | None = None) -> FakeEmbedder:
        order.append("model")
        assert "pgai_magic.nl2sql.service" in sys.modules and "pgai_magic.workflow.autochart" in sys.modules
        return FakeEmbedder(dim=8, name="after-warm-up")

    monkeypatch.setattr(sentence, "load_embedder", load)
    thread = warm_up(own_session)
    assert own_session.vectors.loading or own_session.vectors.load_seconds is not None  # a question would not wait
    thread.join(120)
    assert not thread.is_alive()
    assert own_session.vectors.embedder.name == "after-warm-up" and order == ["model"]
