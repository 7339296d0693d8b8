"""Several columns in one embedding: --template / --columns / --name, kept in sync when any of them changes."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest

from pgai_magic.commands import COMMANDS
from pgai_magic.errors import ConfigError
from pgai_magic.session import Session
from tests.vectors.test_embed_sql import make_context


@pytest.fixture()
def products(conn: psycopg.Connection, schema: str) -> str:
    conn.execute(f"CREATE TABLE {schema}.products (sku text PRIMARY KEY, title text, description text, price int)")
    conn.execute(
        f"INSERT INTO {schema}.products VALUES "
        "('A1', 'Trail runner', 'A light shoe with a grippy sole for muddy mountain paths.', 120), "
        "('B2', 'Espresso maker', 'Brews strong coffee with a steam wand for milk foam.', 300), "
        "('C3', 'Rain jacket', NULL, 90), "
        "('D4', NULL, NULL, 10)"
    )
    return f"{schema}.products"


def test_template_over_two_columns(
    esession: Session, conn: psycopg.Connection, schema: str, products: str, drop_targets: None
) -> None:
    result = esession.embed(products, template="{title}: {description}", name="product", progress=False)
    target = result.target
    assert (target.column, target.columns, target.store) == (
        "product",
        ("title", "description"),
        f"{schema}_products_product_embedding",
    )
    assert result.rows == 3  # D4 has neither title nor description: no vector
    stored = dict(conn.execute(f"SELECT sku, product_embedding::real[] FROM pgai.{target.store}").fetchall())
    expected = esession.vectors.embedder.embed_batch(
        ["Trail runner: A light shoe with a grippy sole for muddy mountain paths."]
    )
    assert np.allclose(stored["A1"], expected[0], atol=1e-5)
    assert np.allclose(stored["C3"], esession.vectors.embedder.embed_batch(["Rain jacket: "])[0], atol=1e-5)
    hits = esession.similar(f"{products}.product", "coffee machine", k=1)
    assert hits.iloc[0]["sku"] == "B2"
    # a change to either column queues the row; the worker (here: a foreground sync) embeds it again
    esession.vectors.stop_worker()  # drain by hand, to look at the queue in between
    conn.execute(f"UPDATE {schema}.products SET description = 'Keeps you dry in a storm.' WHERE sku = 'C3'")
    conn.execute(f"UPDATE {schema}.products SET price = 95 WHERE sku = 'A1'")  # not in the template: not queued
    assert conn.execute(f"SELECT sku FROM pgai.{target.queue}").fetchall() == [("C3",)]
    assert esession.sync_embeddings(f"{products}.product") == 1
    stored = conn.execute(f"SELECT product_embedding::real[] FROM pgai.{target.store} WHERE sku = 'C3'").fetchone()[0]
    again = esession.vectors.embedder.embed_batch(["Rain jacket: Keeps you dry in a storm."])[0]
    assert np.allclose(stored, again, atol=1e-5)
    listed = esession.vectors.columns().set_index("column")
    assert listed.loc[f"{schema}.products.product", "template"] == "{title}: {description}"


def test_columns_option_and_the_magic(
    esession: Session, conn: psycopg.Connection, schema: str, products: str, drop_targets: None
) -> None:
    ctx, said = make_context(esession, {})
    COMMANDS["embed"].run(ctx, f"{products} --columns title,description", None)
    assert "template '{title}\\n{description}' over products" in said[0]
    target = esession.vectors.target(f"{products}.title_description")
    assert target.template == "{title}\n{description}"
    COMMANDS["embed"].run(ctx, f'{products} --template "{{title}} costs {{price}}" --name priced', None)
    hits = COMMANDS["similar"].run(ctx, f'{products}.priced "running shoes" --k 1', None)
    assert hits.iloc[0]["sku"] == "A1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"template": "{title}: {colour}"}, "column colour not found in"),
        ({"template": "{title!r}"}, "must be a column name alone"),
        ({"template": "no columns"}, "names no column"),
        ({"template": "{title", "name": "x"}, "is not a valid template"),
        ({"template": "{title}", "columns": ["title"]}, "not both"),
        ({"template": "{title}", "name": "price"}, "--name 'price' is a column of"),
        ({"columns": ["title", ""]}, "--columns needs column names"),
    ],
)
def test_template_errors(esession: Session, products: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        esession.embed(products, progress=False, **kwargs)


def test_name_needs_a_template(esession: Session, products: str) -> None:
    with pytest.raises(ConfigError, match="--name names the embedding of a --template"):
        esession.embed(f"{products}.title", name="x", progress=False)
    with pytest.raises(ConfigError, match="has no column and no embedding named nothing"):
        esession.similar(f"{products}.nothing", "x")
