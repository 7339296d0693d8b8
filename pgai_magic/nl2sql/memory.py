"""Question memory: questions with their SQL and embeddings in pgvector; verified pairs are reused."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from pgai_magic import catalog
from pgai_magic.db import Database
from pgai_magic.errors import ConfigError
from pgai_magic.nl2sql.translator import Analysis, literals

__all__ = ["SOURCES", "Memo", "QuestionMemory", "cue_signature", "link_signature", "template_of"]

# where an answer came from, as stored and as shown
SOURCES = {"memory": "question memory", "translator": "built-in translator", "llm": "LLM", "teach": "taught"}
_PLACEHOLDER = {"number": "<number>", "year": "<year>", "date": "<date>", "value": "<value>"}
_NOT_CUES = {"which", "list", "mention", "num", "time", "distinct"}


@dataclass
class Memo:
    """One remembered question: its SQL, literals, cue signature and similarity to the question asked."""

    id: int
    question: str
    template: str
    literals: list[tuple[str, Any]]
    cues: list[str]
    sql: str
    source: str
    verified: bool
    similarity: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def template_of(analysis: Analysis) -> tuple[str, list[tuple[str, Any]]]:
    """The question with its literals masked ('top <number> products in <year>') and the literals."""
    found = literals(analysis)
    words: list[str] = []
    k = 0
    spans = {start: (kind, end) for kind, _v, start, end in found}
    toks = analysis.toks
    while k < len(toks):
        if k in spans:
            kind, end = spans[k]
            words.append(_PLACEHOLDER[kind])
            k = end
        else:
            words.append(toks[k].text)
            k += 1
    return " ".join(words), [(kind, value) for kind, value, _s, _e in found]


def _short(key: str | None) -> str:
    return (key or "").rsplit(".", 1)[-1]


def link_signature(analysis: Analysis) -> list[str]:
    """What the question links to: 'table:orders', 'column:customers.city', 'concept:revenue',
    'value:orders.status' (the column a value was found in: 'Berlin' and 'Germany' fill different slots), sorted."""
    found: set[str] = set()
    for it in analysis.items:
        m = it.mention
        if m is None:
            continue
        first = m.columns[0] if m.columns else None
        where = f"{_short(first.table)}.{first.name}" if first is not None else _short(m.table)
        label = m.concept if m.kind == "concept" and m.concept else where
        found.add(f"{m.kind}:{label}")
    return sorted(found)


def cue_signature(analysis: Analysis) -> list[str]:
    """The meaning of a question apart from its literals: cue words ('top:desc', 'agg:count', 'cmp:>', 'not:',
    time shapes) and its links (`link_signature`), sorted. Equal signatures: the same question, other words."""
    sig = link_signature(analysis)
    for it in analysis.items:
        if it.kind in _NOT_CUES:
            if it.kind == "time":
                sig.append(
                    "time:"
                    + ",".join(
                        f"{op}{b.kind}{b.unit if b.kind != 'date' else ''}{b.n}" for op, b in it.value.conditions
                    )
                )
            continue
        sig.append(f"{it.kind}:{it.arg}")
    return sorted(sig)


class QuestionMemory:
    """The `pgai.questions` table: add, verify, search by embedding, list and forget questions."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._indexed: set[int] = {384}
        self._backfilled = False

    @property
    def conn(self) -> psycopg.Connection:
        return self.db.control

    def available(self) -> bool:
        # a role that may not use the table (docs/privileges.md, question memory) asks without memory
        usable = catalog.has_privileges(catalog.reader(self.conn), "pgai", "questions", ("SELECT", "INSERT"))
        if usable and not self._backfilled:
            self._backfilled = True
            self.backfill_sources()
        return usable

    def unavailable(self) -> str | None:
        """Why this role cannot use the question memory, naming what is missing and what fixes it (the GRANT,
        the extension); None when it can."""
        read = catalog.reader(self.conn)
        gap = catalog.privilege_gap(read, "pgai", "questions", ("SELECT", "INSERT"))
        if gap is None:
            return None
        name = str(read("SELECT current_user", None)[0][0])
        role = name if name.isidentifier() and name.islower() else sql.Identifier(name).as_string(self.conn)
        grants = (
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON pgai.questions TO {role}; "
            f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA pgai TO {role}"
        )
        kind, missing = gap
        if kind == "schema":
            return "no pgai schema in this database: an admin connects once to create it (docs/privileges.md)"
        if kind == "usage":
            return (
                f"role {role} has no USAGE on schema pgai: an admin runs GRANT USAGE ON SCHEMA pgai TO {role}; "
                f"{grants} (docs/privileges.md, question memory)"
            )
        if kind == "relation":
            if not catalog.extension_versions(read, ["vector"]).get("vector"):
                return "needs the pgvector extension: a superuser runs CREATE EXTENSION vector in this database"
            return "no table pgai.questions yet: it is created when the pgai schema's owner connects"
        return (
            f"role {role} lacks {' and '.join(missing)} on pgai.questions: an admin runs {grants} "
            "(docs/privileges.md, question memory)"
        )

    def sources(self, sql_text: str, scope: str) -> list[int]:
        """The pg_class oids of the relations `sql_text` reads, its bare names resolved in the schemas of `scope`:
        a remembered question is seen only by roles that may read them all (sql/041_question_sources.sql)."""
        return catalog.query_sources(catalog.reader(self.conn), sql_text, scope.split(",") if scope else [])

    def backfill_sources(self) -> int:
        """Record the relations of questions remembered before they were recorded (`sources` NULL, which every role
        reads) through pgai.record_question_sources (sql/041_question_sources.sql); how many were recorded."""
        done = 0
        try:
            rows = self.conn.execute("SELECT id, sql, scope FROM pgai.questions WHERE sources IS NULL").fetchall()
            for qid, text, scope in rows:
                recorded = self.conn.execute(
                    "SELECT pgai.record_question_sources(%s, %s::int8[]::oid[]::regclass[])",
                    (qid, self.sources(text, scope)),
                ).fetchone()
                done += bool(recorded and recorded[0])
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedColumn):
            pass  # a role without the question-memory GRANTs, or a memory not migrated yet: the owner's session does it
        return done

    def _ensure_index(self, dim: int) -> None:
        if dim in self._indexed:
            return
        name = f"questions_hnsw_{int(dim)}"
        if catalog.find_relation(catalog.reader(self.conn), catalog.quoted_name("pgai", name), name) is None:
            try:
                self.conn.execute(
                    sql.SQL(
                        "CREATE INDEX IF NOT EXISTS {} ON pgai.questions "
                        "USING hnsw ((embedding::vector({d})) vector_cosine_ops) WHERE dim = {d}"
                    ).format(sql.Identifier(name), d=sql.Literal(int(dim)))
                )
            except psycopg.errors.InsufficientPrivilege:
                pass  # only the table's owner indexes a new dimension; the memory works without (an exact search)
        self._indexed.add(dim)

    def add(
        self,
        *,
        question: str,
        template: str,
        literals: list[tuple[str, Any]],
        cues: list[str],
        sql_text: str,
        source: str,
        scope: str,
        embedder: str,
        vector: np.ndarray,
        verified: bool = False,
    ) -> int:
        """Store a question (or count it again when the same question got the same SQL); returns its id.

        The relations its SQL reads are recorded with it (`sources`): only roles that may read them all see it."""
        dim = int(vector.shape[0])
        self._ensure_index(dim)
        row = self.conn.execute(
            """UPDATE pgai.questions SET times_asked = times_asked + 1, asked_at = now(),
                      verified = verified OR %(v)s,
                      verified_at = CASE WHEN %(v)s AND NOT verified THEN now() ELSE verified_at END
               WHERE id = (SELECT id FROM pgai.questions WHERE scope = %(scope)s AND question = %(q)s AND sql = %(sql)s
                           ORDER BY id LIMIT 1)
               RETURNING id""",
            {"v": verified, "scope": scope, "q": question, "sql": sql_text},
        ).fetchone()
        if row is not None:
            return int(row[0])
        row = self.conn.execute(
            """INSERT INTO pgai.questions (question, template, literals, cues, sql, source, verified, scope, embedder,
                                           dim, embedding, verified_at, sources)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, CASE WHEN %s THEN now() END,
                       %s::int8[]::oid[]::regclass[])
               RETURNING id""",
            (
                question,
                template,
                Jsonb(_jsonable(literals)),
                cues,
                sql_text,
                source,
                verified,
                scope,
                embedder,
                dim,
                vector,
                verified,
                self.sources(sql_text, scope),
            ),
        ).fetchone()
        assert row is not None
        return int(row[0])

    def verify(self, question_id: int) -> str:
        """Mark a remembered answer as verified; returns its question."""
        row = self.conn.execute(
            "UPDATE pgai.questions SET verified = true, verified_at = now() WHERE id = %s RETURNING question",
            (question_id,),
        ).fetchone()
        if row is None:
            raise ConfigError(f"no remembered question has id {question_id}: see %pgai ask --history")
        return str(row[0])

    def forget(self, question_id: int) -> None:
        cur = self.conn.execute("DELETE FROM pgai.questions WHERE id = %s", (question_id,))
        if cur.rowcount == 0:
            raise ConfigError(f"no remembered question has id {question_id}: see %pgai ask --history")

    def nearest(
        self, vector: np.ndarray, *, scope: str, embedder: str, k: int = 3, verified_only: bool = True
    ) -> list[Memo]:
        """The `k` remembered questions closest to `vector` (cosine), most similar first."""
        dim = int(vector.shape[0])
        typed = sql.SQL("vector({})").format(sql.Literal(dim))
        query = sql.SQL(
            """SELECT id, question, template, literals, cues, sql, source, verified,
                      1 - (embedding::{t} <=> %(v)s::{t}) AS similarity
               FROM pgai.questions
               WHERE dim = %(dim)s AND embedder = %(e)s AND scope = %(scope)s {only}
               ORDER BY embedding::{t} <=> %(v)s::{t} LIMIT %(k)s"""
        ).format(t=typed, only=sql.SQL("AND verified") if verified_only else sql.SQL(""))
        rows = self.conn.execute(query, {"v": vector, "dim": dim, "e": embedder, "scope": scope, "k": k}).fetchall()
        return [
            Memo(
                int(r[0]),
                r[1],
                r[2],
                [tuple(x) for x in (r[3] or [])],
                list(r[4] or []),
                r[5],
                r[6],
                bool(r[7]),
                float(r[8]),
            )
            for r in rows
        ]

    def history(self, *, scope: str | None = None, limit: int = 50, verified: bool | None = None) -> pd.DataFrame:
        """Remembered questions, newest first."""
        conds = [sql.SQL("true")]
        params: list[Any] = []
        if scope is not None:
            conds.append(sql.SQL("scope = %s"))
            params.append(scope)
        if verified is not None:
            conds.append(sql.SQL("verified = %s"))
            params.append(verified)
        query = sql.SQL(
            """SELECT id, question, sql, source, verified, times_asked, asked_at, scope
               FROM pgai.questions WHERE {} ORDER BY asked_at DESC, id DESC LIMIT %s"""
        ).format(sql.SQL(" AND ").join(conds))
        cur = self.conn.execute(query, [*params, int(limit)])
        names = [d.name for d in cur.description or []]
        frame = pd.DataFrame(cur.fetchall(), columns=names)
        frame["source"] = frame["source"].map(lambda s: SOURCES.get(s, s))
        return frame

    def counts(self) -> tuple[int, int]:
        row = self.conn.execute("SELECT count(*), count(*) FILTER (WHERE verified) FROM pgai.questions").fetchone()
        assert row is not None
        return int(row[0]), int(row[1])


def _jsonable(values: list[tuple[str, Any]]) -> list[list[Any]]:
    return json.loads(json.dumps([[k, v] for k, v in values], default=str))
