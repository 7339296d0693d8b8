"""A question linked to a catalog: value hits, each column's linking features and its logit for each role."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from pgai_magic.catalog import Catalog, Column, ForeignKey
from pgai_magic.nl2sql.learned.features import Question, find_values, name_words, schema_features, schema_mask
from pgai_magic.nl2sql.learned.model import LearnedModel
from pgai_magic.nl2sql.learned.probe import probe_values

__all__ = ["ROLES", "Linked", "fk_preference", "link"]

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

    def prefer(self, fk: ForeignKey) -> float:
        """`fk_preference` of the question (for render.join_tree)."""
        return fk_preference(self.question, self.catalog, fk)


_KEY_WORDS = frozenset({"id", "code", "no", "num", "key", "fk"})


def fk_preference(q: Question, catalog: Catalog, fk: ForeignKey) -> float:
    """The share of a foreign key's own words that the question writes: the words of its columns less key words
    ('id', 'code') and the referenced table's name ('reported_by_staff_id' -> 'reported'); 0.0 when none is left."""
    ref = set(name_words(catalog.tables[fk.ref_table].name)) if fk.ref_table in catalog.tables else set()
    own = {w for c in fk.columns for w in name_words(c) if w not in _KEY_WORDS and w not in ref}
    if not own:
        return 0.0
    return sum(any(w in alts for alts in q.alts) for w in own) / len(own)


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
