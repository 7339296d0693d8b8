"""Set-up of a server for pgai: extensions, the `pgai` schema's versioned install scripts, what the role may do.

    pgai_magic.setup
    ├── _state        prepare_server() → ServerState (what set-up found), the `requires` check in front of the
    │                 features that need the `pgai` schema or pgvector, the `%pgai status` record
    ├── _migrations   the `sql/NNN_name.sql` scripts applied once each (recorded in `pgai.migrations`)
    └── _privileges   what the role lacks, and the GRANTs to ask an admin for

May import `catalog`, `db` and the leaves `errors`, `display`; nothing above it.
"""

from pgai_magic.setup._migrations import apply_migrations
from pgai_magic.setup._state import EXTENSIONS, ServerState, Status, prepare_server, requires, server_status

__all__ = ["EXTENSIONS", "ServerState", "Status", "apply_migrations", "prepare_server", "requires", "server_status"]
