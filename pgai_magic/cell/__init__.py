"""The SQL cell: a `%%pgai` cell's statements prepared, run on the Database and returned as DataFrames.

    pgai_magic.cell
    ├── _runner    SqlRunner: split, check, preprocess (e.g. `pgai.embed('…')` → a vector), bind `:name`s, run
    ├── convert    Arrow results → pandas / polars, exact per the documented type map (docs/types.md)
    └── _hints     hints on a SQL error beyond the server's ("did you mean", the usual binding slips)

A capability the others build on (they turn query results into DataFrames with `convert`). May import `catalog`,
`db`, `sqltext` and the leaves `errors`, `display`; never another capability, the session or the magic.
"""

from pgai_magic.cell import convert
from pgai_magic.cell._runner import Format, Limits, Preprocessor, SqlRunner

__all__ = ["Format", "Limits", "Preprocessor", "SqlRunner", "convert"]
