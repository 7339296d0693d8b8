"""Hints on a SQL error, beyond the server's: "did you mean", an aborted transaction, and the usual binding slips
(`IN :list`, a float numpy array where an array was meant)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pgai_magic.catalog import add_suggestion
from pgai_magic.errors import ConnectionError, SQLError

__all__ = ["explain_sql_error"]


def explain_sql_error(
    err: SQLError, query: str, namespace: Mapping[str, Any], control: Any, *, transaction_failed: bool
) -> None:
    """Set the cell as the error's statement (its caret positions are the cell's) and add the hints."""
    err.statement = query
    try:
        add_suggestion(err, control)
    except ConnectionError:
        pass
    hints = [err.hint] if err.hint else []
    listed = _in_list_parameter(query, namespace)
    if listed and err.sqlstate == "42601":
        hints.append(f"a list binds as one array value: write = ANY(:{listed}) instead of IN :{listed}")
    vectors = _float_vectors(query, namespace)
    if vectors and "ANY/ALL" in err.message:
        hints.append(f"a 1-D float numpy array binds as a pgvector vector: bind list({vectors[0]}) for an array")
    if transaction_failed:
        hints.append("the transaction is aborted: run ROLLBACK to continue")
    err.hint = "\n".join(hints) if hints else None


def _float_vectors(query: str, namespace: Mapping[str, Any]) -> list[str]:
    """Names of `:name` parameters holding 1-D float numpy arrays (they bind as pgvector vectors)."""
    import numpy as np

    from pgai_magic.sqltext import parameter_names

    names = dict.fromkeys(n for _, _, n in parameter_names(query))
    return [
        n
        for n in names
        if isinstance(namespace.get(n), np.ndarray) and namespace[n].ndim == 1 and namespace[n].dtype.kind == "f"
    ]


def _in_list_parameter(query: str, namespace: Mapping[str, Any]) -> str | None:
    """The name in `IN :name` / `IN (:name)` when that variable is a sequence (it binds as one array)."""
    import re

    import numpy as np

    for match in re.finditer(r"\bIN\s*\(?\s*:([A-Za-z_]\w*)", query, flags=re.IGNORECASE):
        value = namespace.get(match.group(1))
        if isinstance(value, list | tuple | set | np.ndarray):
            return match.group(1)
    return None
