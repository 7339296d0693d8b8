"""SQL as text, read with sqlglot (never regex): a cell split into statements, `:name` parameters, what a
statement is and the path it takes, and the one read-only check of a query pgai did not get as a SQL cell.

    pgai_magic.sqltext
    ├── _split        split_statements(), Statement, `:name` parameters (bind_parameters), quote_ident()
    ├── _statements   route(): a statement's kind from its tokens and its path (query, copy_out, copy_in, plain)
    └── _readonly     check_read_query(): one parsed read query, no locks, no side-effect functions;
                      relations_read(): the relations a query reads

Pure functions over text: no connection, no server. May import only the leaf `errors`.
"""

from pgai_magic.sqltext._readonly import (
    DENIED_FUNCTIONS,
    check_read_condition,
    check_read_query,
    parse_read_query,
    relations_read,
)
from pgai_magic.sqltext._split import (
    WRITE_NODES,
    Statement,
    bind_parameters,
    check_positional,
    check_templates,
    inline_placeholders,
    parameter_names,
    quote_ident,
    replace_spans,
    split_statements,
    tokenize,
)
from pgai_magic.sqltext._statements import PLANNABLE, STATEMENT_WORDS, Route, inner_query, route, starts_statement

__all__ = [
    "DENIED_FUNCTIONS",
    "PLANNABLE",
    "STATEMENT_WORDS",
    "WRITE_NODES",
    "Route",
    "Statement",
    "bind_parameters",
    "check_positional",
    "check_read_condition",
    "check_read_query",
    "check_templates",
    "inline_placeholders",
    "inner_query",
    "parameter_names",
    "parse_read_query",
    "quote_ident",
    "relations_read",
    "replace_spans",
    "route",
    "split_statements",
    "starts_statement",
    "tokenize",
]
