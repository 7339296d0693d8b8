"""A question linked to a catalog: value hits, each column's linking features and its logit for each role."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from pgai_magic.catalog import Catalog, Column
from pgai_magic.nl2sql.learned.features import Question, find_values, schema_features, schema_mask
from pgai_magic.nl2sql.learned.model import LearnedModel
from pgai_magic.nl2sql.learned.probe import probe_values

__all__ = ["ROLES", "Linked", "link"]

ROLES = ("select", "where", "group", "order")


@dataclass
class Linked:
    """A question linked to a catalog: each column's key, features and role logits; each table's logit."""

    question: Question
    catalog: Catalog
    columns: dict[str, Column]
    features: dict[str, dict[str, float]]
    logits: dict[str, dict[str, float]]
    tables: dict[str, float]
    masked: list[str]


def link(q: Question, catalog: Catalog, model: LearnedModel, conn: psycopg.Connection | None = None) -> Linked:
    """Value hits (the catalog's values; with `conn`, also looked up in the data: probe.py), features and role
    logits of every column of `catalog` for `q`."""
    if conn is not None or not q.hits:  # without a connection, hits found before (with one) are kept
        q.hits = find_values(q, catalog)
    if conn is not None:
        q.hits += probe_values(q, catalog, conn)
    feats, tfeats = schema_features(q, catalog)
    columns = {f"{t.key}.{c.name}": c for t in catalog.tables.values() for c in t.columns}
    logits = {k: {r: model.roles[r].logit(f) for r in ROLES} for k, f in feats.items()}
    tables = {k: model.table.logit(f) for k, f in tfeats.items()}
    return Linked(q, catalog, columns, feats, logits, tables, schema_mask(q, catalog))
