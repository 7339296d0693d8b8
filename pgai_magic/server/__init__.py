"""The server pgai_magic talks to: the embedded PostgreSQL's lifecycle, which DSN to use, and password redaction.

    pgai_magic.server
    ├── _embedded   ensure_embedded(): start (or join) the embedded PostgreSQL 18 + pgvector; resolve_dsn():
    │               an explicit DSN, PGAI_DSN / DATABASE_URL, JupySQL's active connection, or the embedded one
    ├── _watchdog   a small process per cluster that stops the postmaster once no live kernel uses it; attaching
    │               and stopping are one critical section (cluster_lock)
    ├── _dsnfile    dsn_from_section(): a named connection of an INI file (JupySQL's connections.ini)
    └── _redact     redact_dsn() / redact_text(): passwords never appear in output or logs

No connection is opened here (that is `db`'s). May import only the leaf `errors`.
"""

from pgai_magic.server._dsnfile import DEFAULT_DSN_FILE, dsn_from_section
from pgai_magic.server._embedded import EmbeddedServer, default_data_dir, ensure_embedded, resolve_dsn
from pgai_magic.server._redact import redact_dsn, redact_text, remember

__all__ = [
    "DEFAULT_DSN_FILE",
    "EmbeddedServer",
    "default_data_dir",
    "dsn_from_section",
    "ensure_embedded",
    "redact_dsn",
    "redact_text",
    "remember",
    "resolve_dsn",
]
