"""Catalog objects other than relations: the functions of a schema by name (pg_proc), and the installed extensions'
versions and schemas (pg_extension).

Part of the catalog (pgai_magic.catalog re-exports it); every function reads through a catalog `Read`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pgai_magic.catalog._relation import Read, quoted_name

__all__ = ["FunctionSignature", "extension_schema", "extension_versions", "read_functions"]


@dataclass(frozen=True)
class FunctionSignature:
    """One function: its signature as regprocedure prints it ('pgai.predict_m(double precision)', usable in DROP
    FUNCTION), name, argument names ([] when unnamed), argument types and return type (format_type)."""

    regprocedure: str
    name: str
    arg_names: list[str]
    arg_types: list[str]
    returns: str


_FUNCTIONS = """
SELECT p.oid::regprocedure::text, p.proname, COALESCE(p.proargnames, '{}'), p.proargtypes::regtype[]::text[],
       format_type(p.prorettype, NULL)
FROM pg_proc p
WHERE p.pronamespace = to_regnamespace(%(schema)s) AND p.proname = ANY(%(names)s::text[])
ORDER BY p.proname, p.oid
"""


def read_functions(read: Read, schema: str, names: Sequence[str]) -> list[FunctionSignature]:
    """The functions (and procedures) of `schema` (exact name) named one of `names`, every overload, by name
    (pg_proc); empty when the schema does not exist or none is found."""
    rows = read(_FUNCTIONS, {"schema": quoted_name(schema), "names": list(names)})
    return [
        FunctionSignature(str(sig), str(name), list(arg_names), list(arg_types), str(returns))
        for sig, name, arg_names, arg_types, returns in rows
    ]


def extension_schema(read: Read, extension: str) -> str | None:
    """The schema `extension` is installed in (pg_extension), or None when it is not installed."""
    rows = read("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = %s", (extension,))
    return str(rows[0][0]) if rows else None


def extension_versions(read: Read, extensions: Sequence[str]) -> dict[str, str]:
    """The installed version of each of `extensions` that is installed (pg_extension.extversion), by name; those
    not installed are absent."""
    rows = read("SELECT extname, extversion FROM pg_extension WHERE extname = ANY(%s::text[])", (list(extensions),))
    return {str(name): str(version) for name, version in rows}
