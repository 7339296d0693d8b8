"""The `status` lines of the embedding capability: model and its load, embedded columns (pending and chunked
rows), the background worker and what it skips."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pandas as pd

from pgai_magic import catalog
from pgai_magic.display import counted
from pgai_magic.errors import EmbeddingError
from pgai_magic.sqltext import quote_ident
from pgai_magic.vectors.target import list_targets

if TYPE_CHECKING:
    from pgai_magic.vectors.service import Embeddings

__all__ = ["embedding_status"]


def embedding_status(service: Embeddings) -> dict[str, Any]:
    """The `status` lines of the embedding capability `service` (never waits for the model to load)."""
    info: dict[str, Any] = {}
    if service.loading:
        info["embedder"] = f"loading in the background ({time.perf_counter() - service._load_started:.1f} s so far)"
    else:
        try:
            embedder = service.embedder
        except EmbeddingError as err:
            return {"embedder": f"unavailable: {err}"}
        precision = getattr(embedder, "precision", "fp32")
        info["embedder"] = embedder.name
        info["embedding dimension"] = embedder.dim
        info["embedding device"] = f"{embedder.device} ({precision})"
        if service.load_seconds is not None:
            info["embedder load time"] = f"{service.load_seconds:.1f} s (in the background)"
    try:
        columns = service.columns()
    except Exception:  # noqa: BLE001 - status never fails
        columns = pd.DataFrame()
    if len(columns):
        info["embedded columns"] = "; ".join(_column_line(row) for row in columns.itertuples())
    worker = service.worker
    pending = [str(c) for c, n in zip(columns.get("column", []), columns.get("pending", [])) if n and not pd.isna(n)]
    if pending and (worker is None or not worker.running):  # e.g. after a kernel restart: say how to resume
        info.setdefault("warnings", []).append(
            f"rows are pending in {', '.join(pending)} and no embedding worker runs in this kernel: "
            "%pgai embed TABLE.COLUMN (or session.sync_embeddings()) resumes them; "
            "`python -m pgai_magic worker` keeps them in sync outside the notebook"
        )
    info.setdefault("warnings", []).extend(_unprotected(service))
    if not info["warnings"]:
        del info["warnings"]
    for model, why in service.unavailable.items():
        info.setdefault("warnings", []).append(f"the embedding worker skips columns of {model}: {why}")
    if worker is not None:
        state = "running" if worker.running else "stopped"
        info["embedding worker"] = f"{state}, {counted(worker.rows, 'row')} synced" + (
            f", last error: {worker.errors[-1]}" if worker.errors else ""
        )
    return info


def _unprotected(service: Embeddings) -> list[str]:
    """A warning per embedded column whose side tables lack the row-level security that makes them follow the
    source table's privileges (made by an older pgai_magic, by a role other than the one that migrated)."""
    try:
        conn = service.db.control
        targets = list_targets(conn)
        found = catalog.unprotected(catalog.reader(conn), "pgai", [n for t in targets for n in (t.store, t.queue)])
    except Exception:  # noqa: BLE001 - status never fails (no pgai schema, no privilege)
        return []
    lines = []
    for t in targets:
        owners = sorted({found[n] for n in (t.store, t.queue) if n in found})
        if owners:
            lines.append(
                f"the side tables of {t.label} ({t.store_label}) do not follow the privileges of "
                f"{quote_ident(t.schema)}.{quote_ident(t.table)}: every role that may read pgai's tables reads its "
                f"text; {' or '.join(owners)} (their owner) runs its %pgai embed again (docs/privileges.md)"
            )
    return lines


def _column_line(row: Any) -> str:
    notes: list[str] = []
    if row.pending and not pd.isna(row.pending):
        notes.append(f"{int(row.pending)} pending")
    if row.chunked and not pd.isna(row.chunked):
        notes.append(f"{counted(int(row.chunked), 'row')} chunked")
    if isinstance(row.search, str):
        notes.append(f"search: {row.search}")
    return f"{row.column} ({', '.join(notes)})" if notes else str(row.column)
