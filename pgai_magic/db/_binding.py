"""Notebook values → PostgreSQL parameters: psycopg's adaptation with PostgreSQL's typing of integer literals,
sequences as arrays, float vectors as pgvector values, and one clear error for what cannot bind."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.adapt import PyFormat, Transformer

from pgai_magic.errors import ParameterError
from pgai_magic.sqltext import Statement, inline_placeholders

__all__ = ["BINDABLE", "dump", "inline"]

BINDABLE = (
    "None, bool, int, float, Decimal, str, bytes, date/time/datetime/timedelta, UUID, lists, tuples, "
    "numpy arrays and scalars"
)


def dump(conn: psycopg.Connection, stmt: Statement) -> tuple[list[Any] | None, Any, Any]:
    """psycopg's dump of the statement's parameters (server-side binding); ParameterError for what cannot bind."""
    if not stmt.params:
        return None, None, None
    tx = Transformer(conn)
    values = [_bindable(v, name) for v, name in zip(stmt.params, _names(stmt))]
    try:
        dumped = tx.dump_sequence(values, [PyFormat.AUTO] * len(values))
    except (psycopg.ProgrammingError, psycopg.DataError, TypeError, ValueError) as exc:
        raise _unbindable(stmt, values, exc) from None
    return list(dumped), tx.types, tx.formats


def _names(stmt: Statement) -> list[str]:
    names = list(stmt.param_names)
    return names + [f"${i + 1}" for i in range(len(names), len(stmt.params))]


def _bindable(value: Any, name: str) -> Any:
    """The value as psycopg should bind it: integers typed as PostgreSQL types an integer literal (int4, else
    int8, else numeric), tuples and non-float numpy arrays as lists (PostgreSQL arrays); float vectors stay
    numpy (pgvector's `vector`)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        value = [None if v is pd.NA or v is pd.NaT else v for v in value.tolist()]  # pandas' own arrays
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic) and not isinstance(value, np.floating | np.bool_):
        value = value.item()
    if isinstance(value, int) and not isinstance(value, bool):
        return _integer(value)
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, np.ndarray) and (value.ndim != 1 or value.dtype.kind != "f"):
        value = value.tolist()
    if isinstance(value, list):
        return _bindable_list(value, name)
    return value


def _bindable_list(values: list[Any], name: str) -> list[Any]:
    """Elements bound alike: integers all int4, else all int8, else all numeric (one array element type)."""
    import numpy as np
    import pandas as pd

    plain = [None if v is pd.NA else v.item() if isinstance(v, np.generic) else v for v in values]
    ints = [v for v in plain if isinstance(v, int) and not isinstance(v, bool)]
    if ints and len(ints) == sum(v is not None for v in plain):
        widest = max(ints, key=lambda v: abs(v) + (v < 0))
        kind = type(_integer(widest))
        return [None if v is None else kind(v) for v in plain]
    return [_bindable(v, name) for v in plain]


def _integer(value: int) -> Any:
    from decimal import Decimal

    from psycopg.types.numeric import Int4, Int8

    if -(2**31) <= value < 2**31:
        return Int4(value)
    if -(2**63) <= value < 2**63:
        return Int8(value)
    return Decimal(value)


def _unbindable(stmt: Statement, values: list[Any], exc: Exception) -> ParameterError:
    for value, name in zip(values, _names(stmt)):
        try:
            Transformer().dump_sequence([value], [PyFormat.AUTO])
        except Exception:  # noqa: BLE001 - find the culprit
            kind = type(value).__name__
            extra = " (for JSON wrap it: psycopg.types.json.Jsonb(value), or bind json.dumps(value) with ::jsonb)"
            return ParameterError(
                f"parameter :{name} cannot be bound: a {kind} has no PostgreSQL form{extra if kind == 'dict' else ''}; "
                f"values that bind are {BINDABLE}"
            )
    return ParameterError(f"a parameter cannot be bound ({exc}); values that bind are {BINDABLE}")


def inline(conn: psycopg.Connection, stmt: Statement) -> Statement | None:
    """The query with each `$n` replaced by psycopg's literal for its value (COPY takes no bound parameters).

    None when the placeholders cannot be found safely (the statement then binds server-side).
    """
    if not stmt.params:
        return stmt
    from psycopg import sql

    names = _names(stmt)
    values = [_bindable(v, n) for v, n in zip(stmt.params, names)]
    literals = []
    for value in values:
        try:
            literals.append(sql.Literal(value).as_string(conn))
        except (psycopg.ProgrammingError, psycopg.DataError, TypeError, ValueError) as exc:
            raise _unbindable(stmt, values, exc) from None
    return inline_placeholders(stmt, literals)
