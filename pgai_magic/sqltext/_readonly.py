"""The one read-only path: a query pgai did not get as a SQL cell is parsed, checked and run READ ONLY.

Every query a user gives as an argument (`unload`, insights `--query`, model `train --from`, `monitor --actual`)
and every generated query (`ask`) goes through `check_read_query` (one parsed SELECT, no row locks, no
large-object / admin / side-effect functions), every row filter (`similar --where`, `plot --where`) through
`check_read_condition` (one boolean expression), and then runs inside `pgai_magic.db.read_only` (a READ ONLY
transaction with a statement timeout, always rolled back), so a volatile function that writes fails on the
server ("cannot execute DELETE in a read-only transaction") instead of writing.
"""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from pgai_magic.errors import GuardError, PgaiError
from pgai_magic.sqltext._split import WRITE_NODES, tokenize

__all__ = [
    "DENIED_FUNCTIONS",
    "check_read_condition",
    "check_read_query",
    "parse_read_query",
    "relations_read",
]

logging.getLogger("sqlglot").setLevel(logging.ERROR)

# functions with side effects, that read server files, or that run SQL text of their own
DENIED_FUNCTIONS = frozenset(
    """pg_terminate_backend pg_cancel_backend pg_signal_backend pg_reload_conf pg_rotate_logfile set_config
    pg_sleep_for pg_sleep_until nextval setval currval lastval txid_current txid_current_if_assigned
    pg_notify pg_promote pg_import_system_collations pg_relation_filenode pg_stat_file pg_checkpoint
    pg_prewarm query_to_xml query_to_xmlschema query_to_xml_and_xmlschema cursor_to_xml cursor_to_xmlschema
    table_to_xml ts_stat pg_walfile_name_offset pg_stat_statements_reset pg_truncate_visibility_map""".split()
)
DENIED_PREFIXES = (
    "lo_",
    "dblink",
    "pg_advisory",
    "pg_try_advisory",
    "pg_create_",
    "pg_drop_",
    "pg_copy_",
    "pg_replication_",
    "pg_stat_reset",
    "pg_logical_",
    "pg_file_",
    "pg_read_",
    "pg_ls_",
    "pg_logdir",
    "pg_log_",
    "pg_wal_",
    "pg_switch_",
    "pg_backup_",
    "pg_start_backup",
    "pg_stop_backup",
    "pg_create_restore_point",
    "pg_export_",
    "pg_current_xact_id",
    "pg_sync_",
    "pg_restore_",  # pg_restore_relation_stats / attribute_stats write statistics (PostgreSQL 18)
    "pg_clear_",
)
_MAX_SLEEP_S = 1.0


def _function_name(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return None


def _parse_one(text: str, what: str, error: type[PgaiError]) -> exp.Expr:
    try:
        statements = [s for s in sqlglot.parse(text, dialect="postgres") if s is not None]
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise error(f"{what} does not parse as PostgreSQL: {first}") from None
    if len(statements) != 1:
        raise error(f"{what} must be a single query (one SELECT), and it holds {len(statements)} statements")
    return statements[0]


def check_read_query(query: str, *, what: str = "the query", error: type[PgaiError] = GuardError) -> str:
    """`query` stripped of trailing `;` when it is one read query; `error` (default GuardError) saying why not."""
    return parse_read_query(query, what=what, error=error)[0]


def parse_read_query(
    query: str, *, what: str = "the query", error: type[PgaiError] = GuardError
) -> tuple[str, exp.Expr]:
    """(`query` stripped of trailing `;`, its sqlglot tree) when it is one read query; `error` saying why not.

    Refused: several statements, anything but SELECT / WITH … SELECT / VALUES / set operations, data-modifying
    CTEs, SELECT … INTO, row locks (FOR UPDATE / SHARE), and functions with side effects or server-file access
    (lo_import, lo_export, pg_read_file, pg_terminate_backend, set_config, nextval, dblink, ...).
    A user-defined volatile function cannot be seen here: `read_only` stops its writes on the server.
    """
    text = query.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    if not text:
        raise error(f"there is no SQL in {what}: give one SELECT query")
    tree = _parse_one(text, what, error)
    root = tree.unnest() if isinstance(tree, exp.Subquery) else tree
    if not isinstance(root, (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Values)):
        kind = root.key.upper() if not isinstance(root, exp.Command) else str(root.this).upper()
        raise error(f"{what} may only read data: it must be one SELECT (or WITH … SELECT) query, not {kind}")
    check_read_nodes(tree, what, error)
    return text, tree


_NOT_BOOLEAN = (exp.Literal, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg, exp.Query, exp.Star, exp.Null)


def check_read_condition(condition: str, *, what: str = "--where", error: type[PgaiError] = GuardError) -> str:
    """`condition` stripped when it is exactly one boolean SQL expression that only reads (a row filter such as
    `similar --where` or `plot --where`); `error` naming `what` otherwise.

    Refused: an empty text, a `;` (a second statement), text that is not one expression on its own (`a = 1) OR
    (true`), a subquery that writes or locks, functions with side effects (as in `check_read_query`), and a value
    that is not true/false (a number, a string, arithmetic, a bare subquery).
    """
    text = condition.strip()
    if not text:
        raise error(f"{what} is empty: give a condition such as \"category = 'billing'\"")
    try:
        tokens = tokenize(text)
    except SqlglotError as exc:
        raise error(f"cannot read {what} {condition!r}: {exc}") from None
    if any(t.token_type == TokenType.SEMICOLON for t in tokens):
        raise error(f"{what} must be one condition, without ';': {condition!r}")
    try:
        node = sqlglot.parse_one(text, read="postgres")
    except SqlglotError as exc:
        first = str(exc).splitlines()[0]
        raise error(f"{what} {condition!r} is not a valid SQL condition: {first}") from None
    bad = next((n for n in node.walk() if isinstance(n, WRITE_NODES)), None)
    if bad is not None:
        raise error(f"{what} may only read data; it contains {type(bad).__name__.upper()}: {condition!r}")
    check_read_nodes(_parse_one(f"SELECT 1 WHERE ({text})", what, error), what, error)  # locks, lo_import, admin
    root = node.unnest() if isinstance(node, exp.Paren) else node
    if isinstance(root, _NOT_BOOLEAN) and not isinstance(root, exp.Boolean):
        raise error(f'{what} must be a true/false condition (like "price > 10"), not {condition!r}')
    return text


def check_read_nodes(tree: exp.Expr, what: str, error: type[PgaiError]) -> None:
    """Walk a parsed query; `error` at the first write, INTO, row lock or denied function."""
    for node in tree.walk():
        if isinstance(node, exp.Into):
            raise error(f"SELECT … INTO creates a table; {what} may only read data")
        if isinstance(node, WRITE_NODES):
            kind = str(node.this).upper() if isinstance(node, exp.Command) else node.key.upper()
            raise error(f"{what} would change data or settings ({kind}); it may only read data")
        if isinstance(node, exp.Lock):
            raise error(f"locking clauses (FOR UPDATE / FOR SHARE) are not allowed in {what}: it may only read")
        name = _function_name(node)
        if name is None:
            continue
        if name in DENIED_FUNCTIONS or name.startswith(DENIED_PREFIXES):
            raise error(f"the function {name}() has side effects or reads server files, so {what} may not call it")
        if name == "pg_sleep":
            args = node.expressions if isinstance(node, exp.Anonymous) else [node.this]
            arg = args[0] if args else None
            if not (isinstance(arg, exp.Literal) and arg.is_number and float(arg.this) <= _MAX_SLEEP_S):
                raise error(f"pg_sleep() longer than {_MAX_SLEEP_S:g} s is not allowed in {what}")


def relations_read(query: str | exp.Expr) -> list[tuple[str | None, str]]:
    """The relations a query reads, as (schema or None, name) in order of appearance, each once; a query's text
    is parsed first (GuardError when it does not parse).

    Names in FROM / JOIN of every scope (subqueries, CTE bodies, EXISTS, LATERAL), as PostgreSQL reads them:
    unquoted parts folded to lower case. References to a CTE and table functions (generate_series, unnest) are
    not relations and are left out (sqlglot's scope analysis tells them apart).
    """
    from sqlglot.optimizer.scope import traverse_scope

    tree = query if isinstance(query, exp.Expr) else _parse_one(query, "the query", GuardError)
    try:
        tables = [s for scope in traverse_scope(tree) for s in scope.sources.values() if isinstance(s, exp.Table)]
    except SqlglotError:  # a shape the scope analysis does not know: every table name but the CTEs'
        ctes = {_folded(cte.args["alias"].this) for cte in tree.find_all(exp.CTE) if cte.args.get("alias")}
        tables = [t for t in tree.find_all(exp.Table) if t.args.get("db") or _folded(t.this) not in ctes]
    found: dict[tuple[str | None, str], None] = {}
    for table in tables:
        schema = table.args.get("db")
        if isinstance(table.this, exp.Identifier) and (schema is None or isinstance(schema, exp.Identifier)):
            found[(_folded(schema) if schema is not None else None, _folded(table.this))] = None
    return list(found)


def _folded(node: exp.Expr | None) -> str:
    """An identifier as PostgreSQL reads it: quoted as written, unquoted in lower case."""
    if not isinstance(node, exp.Identifier):
        return str(node.name if node is not None else "").lower()
    return str(node.name) if node.args.get("quoted") else str(node.name).lower()
