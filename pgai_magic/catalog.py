"""Schema introspection: tables, columns, types, keys, foreign keys, comments, statistics and sample values.

Join paths nobody declared: foreign keys inferred from names and checked against the data.
Most real schemas declare few foreign keys (nycflights13 declares none). A column `child.c` is taken to
reference `parent.p` when

1. `p` is unique in `parent` (its primary key, or checked: as many distinct values as non-NULL rows), and
2. the names say so — `c` is `p` (`flights.carrier` -> `airlines.carrier`), `c` is `<parent>_<p>` or
   `<parent>` (`orders.customer_id` -> `customers.id`, `course.department` -> `department.name`), or
   `p` is a code column (`code`, `*_code`, `iata`, `faa`, `abbr`...) of the same type — and
3. the data agrees: of a sample of the distinct values of `c`, at least `_NAMED` (name evidence) or
   `_CODES` (a code column with another name) are values of `p` (containment, as in the inclusion-dependency
   discovery literature: e.g. Rostin et al. 2009, "A machine learning approach to foreign key discovery").

Inferred keys are `ForeignKey(..., inferred=True)` in the catalog: joins use them as declared ones, the
SQL and the LLM prompt say they were inferred.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

__all__ = [
    "Catalog",
    "CatalogCache",
    "Column",
    "ForeignKey",
    "Table",
    "default_schemas",
    "infer_foreign_keys",
    "load_catalog",
    "words",
]

_KIND = {"N": "number", "S": "text", "D": "date", "B": "boolean"}
_WORD = re.compile(r"[a-z]+|[0-9]+")


def words(name: str) -> list[str]:
    """The lowercase words of an identifier or a comment: `signupDate_2` -> ['signup', 'date', '2']."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return _WORD.findall(spaced.lower())


@dataclass(frozen=True)
class ForeignKey:
    """`table(columns)` references `ref_table(ref_columns)`; tables as 'schema.name' keys."""

    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    inferred: bool = False  # not declared: inferred from names and checked against the data (infer_foreign_keys)


@dataclass(eq=False)
class Column:
    """One column with what linking and prompts need: kind, comment, key role, distinct values."""

    table: str
    name: str
    type: str
    kind: str
    nullable: bool = True
    comment: str | None = None
    position: int = 0
    n_distinct: float | None = None
    values: list[str] | None = None
    categorical: bool = False
    samples: list[str] = field(default_factory=list)
    primary_key: bool = False
    foreign_key: ForeignKey | None = None

    @property
    def is_key(self) -> bool:
        return self.primary_key or (self.foreign_key is not None and not self.foreign_key.inferred)

    @property
    def is_temporal(self) -> bool:
        return self.kind in ("date", "timestamp")

    @property
    def is_numeric(self) -> bool:
        return self.kind == "number"


@dataclass
class Table:
    """A table or view of the catalog, with its columns and keys."""

    schema: str
    name: str
    kind: str
    comment: str | None
    columns: list[Column]
    primary_key: tuple[str, ...] = ()
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    rows: int = -1

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def label(self) -> Column | None:
        """The column that names a row: 'name', '*_name', 'title', 'label' (None when there is none)."""
        texts = [c for c in self.columns if c.kind == "text" and not c.is_key]
        for pick in (
            lambda c: c.name.lower() == "name",
            lambda c: c.name.lower().endswith("_name") or c.name.lower() in ("fullname", "full name"),
            lambda c: c.name.lower() in ("title", "label") or c.name.lower().endswith("_title"),
        ):
            found = next((c for c in texts if pick(c)), None)
            if found is not None:
                return found
        return None


@dataclass
class Catalog:
    """The tables of some schemas, how they join, and whether names need schema qualification."""

    schemas: tuple[str, ...]
    tables: dict[str, Table]
    qualify: bool = False
    fingerprint: str = ""

    def table(self, name: str) -> Table | None:
        if name in self.tables:
            return self.tables[name]
        return next((t for t in self.tables.values() if t.name == name), None)

    def column(self, table: str, name: str) -> Column | None:
        found = self.table(table)
        return found.column(name) if found else None

    def foreign_keys(self) -> list[ForeignKey]:
        return [fk for t in self.tables.values() for fk in t.foreign_keys if fk.ref_table in self.tables]

    def components(self) -> list[list[str]]:
        """The tables in groups joined by foreign keys (in either direction), largest group first."""
        parent = {k: k for k in self.tables}

        def root(k: str) -> str:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for fk in self.foreign_keys():
            parent[root(fk.table)] = root(fk.ref_table)
        groups: dict[str, list[str]] = {}
        for k in self.tables:
            groups.setdefault(root(k), []).append(k)
        return sorted(groups.values(), key=lambda g: (-len(g), g[0]))

    def subset(self, keys: Iterable[str]) -> Catalog:
        """The same catalog restricted to `keys` (the tables and columns are shared, not copied)."""
        chosen = {k: self.tables[k] for k in keys if k in self.tables}
        return Catalog(self.schemas, chosen, qualify=self.qualify, fingerprint=self.fingerprint)

    def describe(self, tables: Iterable[str] | None = None, *, values: int = 8) -> str:
        """The chosen tables as commented CREATE TABLE text with sample values (for an LLM prompt)."""
        chosen = [self.tables[k] for k in (tables if tables is not None else self.tables) if k in self.tables]
        parts = []
        for t in chosen:
            name = t.key if self.qualify else t.name
            lines = [f"CREATE TABLE {name} (" + (f"  -- {t.comment}" if t.comment else "")]
            for i, c in enumerate(t.columns):
                bits = [f"  {c.name} {c.type}"]
                if c.primary_key:
                    bits.append("PRIMARY KEY")
                if c.foreign_key is not None:
                    ref = self.tables.get(c.foreign_key.ref_table)
                    ref_name = (ref.key if self.qualify else ref.name) if ref else c.foreign_key.ref_table
                    bits.append(f"REFERENCES {ref_name}({c.foreign_key.ref_columns[0]})")
                    if c.foreign_key.inferred:
                        bits.append("-- inferred join (no declared foreign key)")
                line = " ".join(bits) + ("," if i < len(t.columns) - 1 else "")
                notes = [c.comment] if c.comment else []
                if c.values and c.categorical:
                    shown = ", ".join(repr(v) for v in c.values[:values])
                    notes.append(f"values: {shown}{', ...' if len(c.values) > values else ''}")
                elif c.samples and not c.is_key:
                    notes.append("e.g. " + ", ".join(c.samples[:3]))
                lines.append(line + (f"  -- {'; '.join(notes)}" if notes else ""))
            lines.append(");")
            parts.append("\n".join(lines))
        return "\n\n".join(parts)


def default_schemas(conn: psycopg.Connection) -> tuple[str, ...]:
    """The schemas on the search path (without pgai and the system schemas); when those hold no table, every
    schema the role can use that holds one (names from them are then schema-qualified)."""
    rows = conn.execute("SELECT unnest(current_schemas(false))").fetchall()
    path = tuple(r[0] for r in rows if r[0] not in ("pgai", "pg_catalog", "information_schema"))
    row = conn.execute(_HAS_TABLES, (list(path),)).fetchone()
    if row is not None and row[0]:
        return path
    return path + tuple(r[0] for r in conn.execute(_READABLE_SCHEMAS, (list(path),)))


_RELKINDS = "('r', 'v', 'm', 'p', 'f')"
_HAS_TABLES = f"""
SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = ANY(%s) AND c.relkind IN {_RELKINDS})"""
_READABLE_SCHEMAS = f"""
SELECT n.nspname FROM pg_namespace n
WHERE n.nspname NOT LIKE 'pg\\_%%' AND n.nspname NOT IN ('information_schema', 'pgai') AND n.nspname <> ALL(%s)
  AND has_schema_privilege(n.oid, 'USAGE')
  AND EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN {_RELKINDS})
ORDER BY n.nspname"""


_FINGERPRINT = """
SELECT md5(coalesce(string_agg(c.oid::text || ':' || a.attnum || a.attname || a.atttypid::text
                               || coalesce(d.description, ''), ',' ORDER BY c.oid, a.attnum), ''))
       || ':' || (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)
                  FROM pg_stat_user_tables WHERE schemaname = ANY(%(s)s))
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid IN (0, a.attnum)
WHERE n.nspname = ANY(%(s)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
"""

_TABLES = """
SELECT c.oid, n.nspname, c.relname, c.relkind, obj_description(c.oid, 'pg_class'), c.reltuples::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
ORDER BY n.nspname, c.relname
"""

_COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory, t.typname,
       NOT a.attnotnull, col_description(a.attrelid, a.attnum), a.attnum, s.n_distinct
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

_KEYS = """
SELECT con.conrelid, con.contype,
       ARRAY(SELECT attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute ON attrelid = con.conrelid AND attnum = k.n ORDER BY k.i),
       fn.nspname || '.' || fc.relname,
       ARRAY(SELECT attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute ON attrelid = con.confrelid AND attnum = k.n ORDER BY k.i)
FROM pg_constraint con
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.conrelid = ANY(%s) AND con.contype IN ('p', 'f')
ORDER BY con.conname
"""


def _kind(category: str, typname: str) -> str:
    if category == "D":
        return "date" if typname == "date" else "timestamp"
    return _KIND.get(category, "other")


def load_catalog(conn: psycopg.Connection, schemas: Sequence[str] | None = None, *, max_values: int = 300) -> Catalog:
    """Introspect `schemas` (default: the search path): one catalog of tables, keys and values."""
    search_path = default_schemas(conn)
    chosen = tuple(schemas) if schemas else search_path
    fingerprint = str(conn.execute(_FINGERPRINT, {"s": list(chosen)}).fetchone()[0])  # type: ignore[index]
    tables: dict[str, Table] = {}
    by_oid: dict[int, Table] = {}
    for oid, nsp, rel, kind, comment, reltuples in conn.execute(_TABLES, (list(chosen),)):
        table = Table(nsp, rel, {"r": "table", "p": "table", "v": "view", "m": "view", "f": "table"}[kind], comment, [])
        table.rows = int(reltuples)
        tables[table.key] = by_oid[oid] = table
    oids = list(by_oid)
    for oid, name, type_, cat, typname, nullable, comment, pos, n_distinct in conn.execute(_COLUMNS, (oids,)):
        t = by_oid[oid]
        nd = None if n_distinct is None else float(n_distinct)
        if nd is not None and nd < 0:
            nd = -nd * max(t.rows, 0)
        t.columns.append(Column(t.key, name, type_, _kind(cat, typname), nullable, comment, pos, nd))
    for oid, contype, cols, ref, ref_cols in conn.execute(_KEYS, (oids,)):
        t = by_oid[oid]
        if contype == "p":
            t.primary_key = tuple(cols)
            for c in t.columns:
                c.primary_key = c.name in cols and len(cols) == 1
        else:
            fk = ForeignKey(t.key, tuple(cols), ref, tuple(ref_cols))
            t.foreign_keys.append(fk)
            if len(cols) == 1:
                col = t.column(cols[0])
                if col is not None:
                    col.foreign_key = fk
    for t in tables.values():
        _fill_values(conn, t, max_values)
    infer_foreign_keys(conn, tables)
    qualify = chosen != search_path[: len(chosen)] or len(chosen) == 0
    return Catalog(chosen, tables, qualify=qualify, fingerprint=fingerprint)


def _fill_values(conn: psycopg.Connection, t: Table, max_values: int) -> None:
    """Sample rows of `t`, and the distinct values of its low-cardinality text columns."""
    ident = sql.Identifier(t.schema, t.name)
    try:
        cur = conn.execute(sql.SQL("SELECT * FROM {} LIMIT 3").format(ident))
        names = [d.name for d in cur.description or []]
        for row in cur.fetchall():
            for name, value in zip(names, row):
                col = t.column(name)
                if col is not None and value is not None:
                    col.samples.append(_short(value))
    except psycopg.Error:
        return
    for col in t.columns:
        if col.kind != "text" or col.primary_key or (col.n_distinct is not None and col.n_distinct > max_values):
            continue
        sample: sql.Composable = sql.SQL("")
        if t.rows > 1_000_000:
            sample = sql.SQL(" TABLESAMPLE SYSTEM ({})").format(sql.Literal(max(0.01, 100 * 1_000_000 / t.rows)))
        query = sql.SQL(
            "SELECT {c}::text, count(*) FROM {t}{s} WHERE {c} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {n}"
        )
        try:
            rows = conn.execute(
                query.format(c=sql.Identifier(col.name), t=ident, s=sample, n=sql.Literal(max_values + 1))
            ).fetchall()
        except psycopg.Error:
            continue
        if len(rows) <= max_values:
            col.values = [r[0] for r in rows]
            col.n_distinct = float(len(rows))
            col.categorical = any(r[1] > 1 for r in rows)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


# -- join paths nobody declared --------------------------------------------------------------
_NAMED = 0.5  # share of child values found in the parent when the names match (orphans are common)
_CODES = 0.9  # the same for a code column whose name differs from the child's
_SAMPLE = 2000  # distinct child values checked
_MAX_CHECKS = 160  # containment queries per catalog load
_MAX_PARENT_ROWS = 2_000_000
_CODE_NAMES = {"code", "iata", "icao", "faa", "abbr", "abbreviation", "symbol", "ticker", "iso", "tailnum", "sku"}
_GENERIC = {"id", "name", "title", "date", "year", "month", "day", "hour", "time", "type", "status", "value"}
_JOINABLE = {"text", "number"}


def _singular(word: str) -> str:
    """'departments' -> 'department', 'categories' -> 'category' (enough for table names)."""
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _name_evidence(child: Column, child_table: Table, parent: Column, parent_table: Table) -> str | None:
    """Why the names suggest child -> parent ('same name', 'table name', 'code'), or None."""
    cn, pn = child.name.lower(), parent.name.lower()
    table_words = [_singular(w) for w in words(parent_table.name)]
    table_word = "_".join(table_words)
    cw = [_singular(w) for w in words(cn)]
    if cn == pn and cn not in _GENERIC and cn != "id":
        return "same name"
    if pn in ("id", f"{table_word}_id", f"{table_word}id", "code", "key", "name", f"{table_word}_code"):
        if cw in (table_words, [*table_words, "id"], [*table_words, "code"], [*table_words, "key"]):
            return "table name"
        if len(cw) > 1 and cw[-1] in ("id", "code") and cw[-2] == table_words[-1]:
            return "table name"  # supervisor_employee_id -> employee.id is left to declared keys; emp_id kept
    if pn in _CODE_NAMES or pn.endswith("_code"):
        return "code"
    return None


def _join_kind(col: Column) -> str:
    return "int" if col.is_numeric and "int" in col.type else col.kind


def _unique(conn: psycopg.Connection, table: Table, col: Column) -> bool:
    if table.primary_key == (col.name,):
        return True
    if table.rows > _MAX_PARENT_ROWS or col.kind not in _JOINABLE:
        return False
    if col.n_distinct is not None and table.rows > 0 and col.n_distinct < 0.9 * table.rows:
        return False
    query = sql.SQL("SELECT count(DISTINCT {c}) = count({c}) AND count({c}) > 0 FROM {t}").format(
        c=sql.Identifier(col.name), t=sql.Identifier(table.schema, table.name)
    )
    row = conn.execute(query).fetchone()
    return bool(row and row[0])


def _values_of(conn: psycopg.Connection, table: Table, col: Column) -> set[str] | None:
    """The distinct values of a small table's column as text (None for a big table)."""
    if table.rows > 20_000:
        return None
    query = sql.SQL("SELECT DISTINCT {c}::text FROM {t} WHERE {c} IS NOT NULL LIMIT 20001").format(
        c=sql.Identifier(col.name), t=sql.Identifier(table.schema, table.name)
    )
    rows = conn.execute(query).fetchall()
    return None if len(rows) > 20_000 else {str(r[0]) for r in rows}


def _containment(conn: psycopg.Connection, child: Table, c: Column, parent: Table, p: Column) -> float:
    """Share of (a sample of) the distinct non-NULL values of child.c found in parent.p; 0 when none."""
    sample: sql.Composable = sql.SQL("")
    if child.rows > 200_000:
        sample = sql.SQL(" TABLESAMPLE SYSTEM ({})").format(sql.Literal(max(0.5, 100 * 200_000 / child.rows)))
    query = sql.SQL(
        "SELECT count(*), count(p.v) FROM (SELECT DISTINCT {c} AS v FROM {ct}{s} WHERE {c} IS NOT NULL LIMIT {n}) s "
        "LEFT JOIN (SELECT DISTINCT {p}::text AS v FROM {pt}) p ON p.v = s.v::text"
    ).format(
        c=sql.Identifier(c.name),
        ct=sql.Identifier(child.schema, child.name),
        s=sample,
        n=sql.Literal(_SAMPLE),
        p=sql.Identifier(p.name),
        pt=sql.Identifier(parent.schema, parent.name),
    )
    row = conn.execute(query).fetchone()
    if not row or not row[0]:
        return 0.0
    return float(row[1]) / float(row[0])


def _candidates(tables: Iterable[Table]) -> list[tuple[Table, Column, Table, Column, str]]:
    chosen = list(tables)
    found = []
    for parent in chosen:
        for p in parent.columns:
            if p.kind not in _JOINABLE:
                continue
            for child in chosen:
                if child is parent:
                    continue
                for c in child.columns:
                    if c.foreign_key is not None or _join_kind(c) != _join_kind(p) or child.primary_key == (c.name,):
                        continue
                    why = _name_evidence(c, child, p, parent)
                    if why is not None:
                        found.append((child, c, parent, p, why))
    order = {"same name": 0, "table name": 1, "code": 2}

    def likely(f: tuple[Table, Column, Table, Column, str]) -> tuple[int, int]:
        parent, p = f[2], f[3]
        keyish = parent.primary_key == (p.name,) or p.name.lower().endswith("id") or p.name.lower() in _CODE_NAMES
        return (0 if keyish else 1, order[f[4]])

    return sorted(found, key=likely)


def infer_foreign_keys(conn: psycopg.Connection, tables: dict[str, Table]) -> list[ForeignKey]:
    """Add inferred foreign keys to `tables` (in place) and return them; declared keys are kept as they are.

    Runs at most `_MAX_CHECKS` small queries (uniqueness of the parent column, containment of a sample of
    the child's distinct values); a query the role may not run just leaves that pair out.
    """
    declared = {(fk.table, fk.columns) for t in tables.values() for fk in t.foreign_keys}
    pairs = {(fk.table, fk.ref_table) for t in tables.values() for fk in t.foreign_keys}
    unique: dict[tuple[str, str], bool] = {}
    known: dict[tuple[str, str], set[str] | None] = {}
    added: list[ForeignKey] = []
    checks = 0
    for child, c, parent, p, why in _candidates(tables.values()):
        if (child.key, (c.name,)) in declared or (parent.key, child.key) in pairs or checks >= _MAX_CHECKS:
            continue
        try:
            if why == "code":  # no name evidence: the child's sample values must be parent values first
                if (parent.key, p.name) not in known:
                    known[(parent.key, p.name)] = _values_of(conn, parent, p)
                have = known[(parent.key, p.name)]
                seen = (c.values or [])[:50] + c.samples
                if have is None or not seen or sum(v in have for v in seen) < 0.9 * len(seen):
                    continue
            if (parent.key, p.name) not in unique:
                checks += parent.primary_key != (p.name,)  # a primary key needs no query
                unique[(parent.key, p.name)] = _unique(conn, parent, p)
            if not unique[(parent.key, p.name)]:
                continue
            checks += 1
            share = _containment(conn, child, c, parent, p)
        except psycopg.Error:
            continue
        if share >= (_CODES if why == "code" else _NAMED):
            fk = ForeignKey(child.key, (c.name,), parent.key, (p.name,), inferred=True)
            child.foreign_keys.append(fk)
            c.foreign_key = fk
            declared.add((child.key, (c.name,)))
            pairs.add((child.key, parent.key))
            added.append(fk)
    return added


class CatalogCache:
    """Catalogs by schema list, reloaded when the tables' columns, comments or row counts change."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, ...], Catalog] = {}

    def get(self, conn: psycopg.Connection, schemas: Sequence[str] | None = None, *, refresh: bool = False) -> Catalog:
        key = tuple(schemas) if schemas else default_schemas(conn)
        cached = self._cache.get(key)
        if cached is not None and not refresh:
            now = str(conn.execute(_FINGERPRINT, {"s": list(key)}).fetchone()[0])  # type: ignore[index]
            if now == cached.fingerprint:
                return cached
        catalog = load_catalog(conn, key)
        self._cache[key] = catalog
        return catalog
