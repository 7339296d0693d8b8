"""Test fixtures shared by the whole suite: one embedded PostgreSQL 18 + pgvector per test session (or PGAI_TEST_DSN).

- the server: `pg_data_dir`, `pg_dsn`, the shared `session`, `own_session` (a session of the test's own),
  `conn` (autocommit, pgvector registered), `pconn` (one autocommit connection per module), `schema` / `module_schema`
  (a fresh schema per test / per module), `ip` (an IPython shell with the extension loaded);
- data: `shop` (the sales dataset in a schema of the module's own; the module picks it with `SHOP_SEED` and
  `SHOP_SCALE`), `shop_translator` (a connection whose search path starts at `shop`, and a translator on it);
- models: `model_name` (a fresh registry name, dropped afterwards);
- embeddings: `minilm` (the packaged model, loaded once), `esession` (a session using it), `tiny_model_dir`
  (a tiny sentence-transformers model built here), `drop_targets`, `faq_table`.

Tests that take more than ~5 s are marked `slow` (`scripts/test.sh --fast` leaves them out).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from IPython.core.interactiveshell import InteractiveShell

from tests.pg_helpers import drop_schema

if TYPE_CHECKING:
    from pgai_magic.embed.sentence import SentenceTransformerEmbedder
    from pgai_magic.nl2sql.translator import Translator
    from pgai_magic.session import Session

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
for var in ("PGAI_DSN", "DATABASE_URL"):
    os.environ.pop(var, None)


@pytest.fixture(scope="session")
def pg_data_dir() -> Iterator[Path]:
    """A throw-away data directory for the session's embedded server."""
    root = Path(tempfile.mkdtemp(prefix="pgai-test-"))
    os.chmod(root, 0o755)
    yield root / "pg"
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_dsn(pg_data_dir: Path) -> Iterator[str]:
    """The DSN of a real PostgreSQL with pgvector: PGAI_TEST_DSN, else the embedded server."""
    external = os.environ.get("PGAI_TEST_DSN")
    if external:
        yield external
        return
    from pgai_magic.server import ensure_embedded

    server = ensure_embedded(pg_data_dir, cleanup="delete")
    yield server.dsn
    server.handle.cleanup()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def session(pg_dsn: str, pg_data_dir: Path) -> Iterator[Session]:
    """A pgai_magic session on the test server (embedded mode when no external DSN)."""
    from pgai_magic.session import Session

    if os.environ.get("PGAI_TEST_DSN"):
        sess = Session(pg_dsn)
    else:
        sess = Session(data_dir=pg_data_dir)
    yield sess
    sess.close()


@pytest.fixture()
def own_session(pg_dsn: str, session: Session) -> Iterator[Session]:
    """A session of the test's own on the test server (its settings and worker do not leak into other tests)."""
    from pgai_magic.session import Session

    sess = Session(pg_dsn)
    yield sess
    sess.close()


@pytest.fixture()
def conn(pg_dsn: str, session: Session) -> Iterator[psycopg.Connection]:
    """A plain autocommit psycopg connection (pgvector registered) to check what the code wrote."""
    from pgvector.psycopg import register_vector

    with psycopg.connect(pg_dsn, autocommit=True) as c:
        register_vector(c)
        yield c


@pytest.fixture(scope="module")
def pconn(pg_dsn: str) -> Iterator[psycopg.Connection]:
    """One plain autocommit psycopg connection for the whole module (for module-scoped tables)."""
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        yield c


@pytest.fixture(scope="module")
def module_schema(pconn: psycopg.Connection) -> Iterator[str]:
    """A fresh schema for the whole module (for tables its tests share), dropped after the module."""
    name = f"m_{uuid.uuid4().hex[:10]}"
    pconn.execute(f'CREATE SCHEMA "{name}"')
    yield name
    drop_schema(pconn, name)


@pytest.fixture()
def schema(conn: psycopg.Connection) -> Iterator[str]:
    """A fresh schema per test, dropped afterwards, so tests do not see each other's tables."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE SCHEMA "{name}"')
    yield name
    drop_schema(conn, name)  # a session left holding a lock fails the test instead of hanging the suite


@pytest.fixture()
def ip(pg_data_dir: Path, session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """A shell with pgai_magic loaded on the embedded default (the test's data directory)."""
    monkeypatch.setenv("PGAI_DATA_DIR", str(pg_data_dir))
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pgai_magic")
    yield shell
    shell.run_line_magic("unload_ext", "pgai_magic")
    InteractiveShell.clear_instance()


@pytest.fixture(scope="module")
def shop(request: pytest.FixtureRequest, pg_dsn: str, session: Session) -> Iterator[str]:
    """The sales dataset (pgai_magic.datasets.sales) in a schema of the module's own; returns the schema name.

    The module picks the data with the module-level constants `SHOP_SEED` and `SHOP_SCALE` (defaults 0 and 0.2).
    Afterwards the schema is dropped and the questions taught on it are deleted from pgai.questions.
    """
    from pgai_magic.datasets import sales

    seed = getattr(request.module, "SHOP_SEED", 0)
    scale = getattr(request.module, "SHOP_SCALE", 0.2)
    name = f"shop_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        sales.load(c, schema=name, seed=seed, scale=scale)
    yield name
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        drop_schema(c, name)
        c.execute("DELETE FROM pgai.questions WHERE scope = %s", (name,))


@pytest.fixture(scope="module")
def shop_translator(pg_dsn: str, shop: str) -> Iterator[tuple[psycopg.Connection, Translator]]:
    """A connection whose search path starts at `shop` (then public), and the offline translator on its catalog."""
    from pgai_magic.catalog import load_catalog
    from pgai_magic.nl2sql.translator import Translator

    with psycopg.connect(pg_dsn, autocommit=True, options=f"-c search_path={shop},public") as c:
        yield c, Translator(load_catalog(c), conn=c)


@pytest.fixture()
def model_name(session: Session) -> Iterator[str]:
    """A fresh model name; the model (every version) is dropped from the registry afterwards if it was deployed."""
    from pgai_magic.errors import ModelError

    name = f"m{uuid.uuid4().hex[:8]}"
    yield name
    try:
        session.models.drop(name)
    except ModelError:
        pass


@pytest.fixture(scope="session")
def minilm() -> SentenceTransformerEmbedder:
    """The packaged all-MiniLM-L6-v2, loaded once for the whole test session (offline)."""
    from pgai_magic.embed.sentence import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def esession(pg_dsn: str, session: Session, minilm: SentenceTransformerEmbedder) -> Iterator[Session]:
    """A session of its own using `minilm` (its embedder and kernel worker do not leak into other tests)."""
    from pgai_magic.session import Session

    sess = Session(pg_dsn)
    sess.set_embedder(minilm)
    yield sess
    sess.close()


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The folder of a tiny sentence-transformers model built here (tests/tiny_model.py), readable by the server."""
    from tests.tiny_model import build_tiny_model

    folder = tmp_path_factory.mktemp("tiny")
    os.chmod(folder, 0o755)
    return str(build_tiny_model(folder))


@pytest.fixture()
def drop_targets(conn: psycopg.Connection, schema: str) -> Iterator[None]:
    """Remove the registry entries and side tables of the test schema's embedded columns afterwards."""
    yield
    from pgai_magic.vectors.sync import drop
    from pgai_magic.vectors.target import list_targets

    for target in list_targets(conn):
        if target.schema == schema:
            drop(conn, target)


@pytest.fixture()
def faq_table(esession: Session, schema: str, drop_targets: None) -> Callable[..., str]:
    """Create the FAQ table in the test schema and embed its questions; returns 'schema.faq'."""

    def make(embed: bool = True) -> str:
        from pgai_magic.datasets import faq

        faq.load(esession, "faq", schema=schema)
        if embed:
            esession.embed(f"{schema}.faq.question", progress=False)
        return f"{schema}.faq"

    return make
