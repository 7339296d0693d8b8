"""The read-only guard: generated SQL must be one read query (checked with sqlglot) and runs READ ONLY."""

from __future__ import annotations

import logging

import pandas as pd
import psycopg
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from pgai_magic import convert
from pgai_magic.db import Database
from pgai_magic.errors import GuardError, SQLError
from pgai_magic.sqltext import WRITE_NODES, Statement

__all__ = ["DENIED_FUNCTIONS", "check", "explain", "run_read_only"]

logging.getLogger("sqlglot").setLevel(logging.ERROR)

# functions with side effects (or that run SQL text of their own): never called from generated SQL
DENIED_FUNCTIONS = frozenset(
    """pg_terminate_backend pg_cancel_backend pg_reload_conf pg_rotate_logfile set_config pg_sleep_for
    pg_sleep_until nextval setval currval lastval txid_current txid_current_if_assigned pg_current_xact_id
    pg_current_xact_id_if_assigned pg_notify pg_switch_wal pg_create_restore_point pg_promote pg_backup_start
    pg_backup_stop pg_start_backup pg_stop_backup pg_import_system_collations pg_export_snapshot
    pg_log_backend_memory_contexts query_to_xml query_to_xmlschema query_to_xml_and_xmlschema cursor_to_xml
    cursor_to_xmlschema ts_stat pg_wal_replay_pause pg_wal_replay_resume
    pg_copy_physical_replication_slot pg_copy_logical_replication_slot pg_sync_replication_slots
    pg_relation_filenode pg_stat_file pg_read_file pg_read_binary_file pg_ls_dir pg_ls_logdir pg_ls_waldir
    pg_ls_tmpdir pg_ls_archive_statusdir pg_file_write pg_file_rename pg_file_unlink pg_logdir_ls
    pg_walfile_name_offset pg_log_standby_snapshot pg_drop_replication_slot pg_advisory_lock""".split()
)
_DENIED_PREFIXES = (
    "lo_",
    "dblink",
    "pg_advisory",
    "pg_try_advisory",
    "pg_create_",
    "pg_drop_",
    "pg_replication_",
    "pg_stat_reset",
    "pg_logical_",
    "pg_file_",
    "pg_read_",
    "pg_ls_",
)
_MAX_SLEEP_S = 1.0


def _function_name(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return None


def check(sql: str) -> exp.Expr:
    """The parsed query when `sql` is a single read query; GuardError (saying why) otherwise."""
    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    if not text:
        raise GuardError("there is no SQL to run")
    try:
        statements = [s for s in sqlglot.parse(text, dialect="postgres") if s is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise GuardError(f"the generated SQL does not parse as PostgreSQL: {first}") from None
    if len(statements) != 1:
        raise GuardError(f"only a single query may run, and the SQL holds {len(statements)} statements")
    tree = statements[0]
    root = tree.unnest() if isinstance(tree, exp.Subquery) else tree
    if not isinstance(root, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
        kind = root.key.upper() if not isinstance(root, exp.Command) else str(root.this).upper()
        raise GuardError(f"only a read query (SELECT or WITH … SELECT) may run, not {kind}")
    for node in tree.walk():
        if isinstance(node, WRITE_NODES):
            what = str(node.this).upper() if isinstance(node, exp.Command) else node.key.upper()
            raise GuardError(f"the query would change data or settings ({what}); only read queries may run")
        if isinstance(node, exp.Into):
            raise GuardError("SELECT … INTO creates a table; only read queries may run")
        if isinstance(node, exp.Lock):
            raise GuardError("locking clauses (FOR UPDATE / FOR SHARE) are not allowed in generated SQL")
        name = _function_name(node)
        if name is None:
            continue
        if name in DENIED_FUNCTIONS or name.startswith(_DENIED_PREFIXES):
            raise GuardError(f"the function {name}() has side effects and may not be called from generated SQL")
        if name == "pg_sleep":
            args = node.expressions if isinstance(node, exp.Anonymous) else [node.this]
            arg = args[0] if args else None
            if not (isinstance(arg, exp.Literal) and arg.is_number and float(arg.this) <= _MAX_SLEEP_S):
                raise GuardError(f"pg_sleep() longer than {_MAX_SLEEP_S:g} s is not allowed in generated SQL")
    return tree


def explain(db: Database, sql: str, *, timeout_s: float = 30.0) -> None:
    """Check `sql` with the guard, then let the server plan it (EXPLAIN in a READ ONLY transaction).

    SQLError (message, SQLSTATE, position in `sql`) when the server rejects it.
    """
    check(sql)
    text = sql.strip().rstrip(";")
    conn = db.control
    prefix = "EXPLAIN "
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION READ ONLY")
            conn.execute(f"SET LOCAL statement_timeout = {int(max(timeout_s, 0.001) * 1000)}")
            conn.execute((prefix + text).encode())  # type: ignore[call-overload]
    except psycopg.Error as exc:
        diag = exc.diag
        position = int(diag.statement_position) - len(prefix) if diag.statement_position else None
        raise SQLError(
            diag.message_primary or str(exc).splitlines()[0],
            sqlstate=diag.sqlstate,
            position=position,
            statement=text,
            hint=diag.message_hint,
            detail=diag.message_detail,
        ) from None


def run_read_only(db: Database, sql: str, *, timeout_s: float = 30.0) -> tuple[pd.DataFrame, float]:
    """Run a guarded query in a READ ONLY transaction with a statement timeout: (DataFrame, seconds)."""
    check(sql)
    result = db.run_readonly(Statement(sql.strip().rstrip(";")), timeout_s=timeout_s)
    frame = convert.to_pandas(result.table) if result.table is not None else pd.DataFrame()
    return frame, result.elapsed
