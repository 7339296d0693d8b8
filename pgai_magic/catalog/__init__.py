"""THE catalog: the only reader of PostgreSQL's system catalogs in pgai_magic.

    pgai_magic.catalog
    ├── _catalog    Catalog (tables, columns, types, keys, comments, statistics, sample values) and CatalogCache
    │               (per server, database, role and schemas; reloaded when the catalog's fingerprint changes)
    ├── _model      the parts: Table, Column, ForeignKey
    ├── _keys       foreign keys nobody declared, inferred from names and checked against the data
    ├── _relation   one relation as PostgreSQL resolves it: name resolution, columns, unique keys, pg_stats
    ├── _describe   what `%pgai tables` / `columns` show: relations, column descriptions, primary keys, privileges
    ├── _indexes    a relation's indexes as column lists (key and INCLUDE columns)
    ├── _objects    a schema's functions, the installed extensions' versions and schemas
    ├── _suggest    the one "did you mean" (did_you_mean) and the SQL error hint built on it
    └── _sources    the user relations a read query reads (the `sources` of pgai's rows derived from it)

Every reader takes a psycopg connection or a `Read` callable, so the session's runner, the insight engine's
budgeted runner and a plain connection use the same SQL. May import `sqltext` (quoting) and the leaf `errors`.
"""

from pgai_magic.catalog._catalog import Catalog, CatalogCache, default_schemas, fingerprint, load_catalog
from pgai_magic.catalog._describe import (
    ColumnDescription,
    RelationSummary,
    describe_columns,
    has_privileges,
    list_relations,
    primary_key,
    privilege_gap,
    unprotected,
)
from pgai_magic.catalog._indexes import IndexColumns, index_columns
from pgai_magic.catalog._keys import infer_foreign_keys
from pgai_magic.catalog._model import Column, ForeignKey, Table, words
from pgai_magic.catalog._objects import FunctionSignature, extension_schema, extension_versions, read_functions
from pgai_magic.catalog._relation import (
    Attribute,
    ColumnStatistics,
    Query,
    Read,
    Relation,
    column_names,
    find_relation,
    parse_relation_name,
    query_sources,
    quoted_name,
    read_attributes,
    read_statistics,
    reader,
    relation_names,
    relation_oids,
    relations_exist,
    resolve_relation,
    statistics_of,
    table_names,
    typed_names,
)
from pgai_magic.catalog._suggest import add_suggestion, closest, did_you_mean

__all__ = [
    "Attribute",
    "Catalog",
    "CatalogCache",
    "Column",
    "ColumnDescription",
    "ColumnStatistics",
    "ForeignKey",
    "FunctionSignature",
    "IndexColumns",
    "Query",
    "Read",
    "Relation",
    "RelationSummary",
    "Table",
    "add_suggestion",
    "closest",
    "column_names",
    "default_schemas",
    "describe_columns",
    "did_you_mean",
    "extension_schema",
    "extension_versions",
    "find_relation",
    "fingerprint",
    "has_privileges",
    "index_columns",
    "infer_foreign_keys",
    "list_relations",
    "load_catalog",
    "parse_relation_name",
    "primary_key",
    "privilege_gap",
    "query_sources",
    "quoted_name",
    "read_attributes",
    "read_functions",
    "read_statistics",
    "reader",
    "relation_names",
    "relation_oids",
    "relations_exist",
    "resolve_relation",
    "statistics_of",
    "table_names",
    "typed_names",
    "unprotected",
    "words",
]
