"""The result type map: each PostgreSQL column type → how it travels (binary or text) and its Arrow type.

The map, with what each type becomes in pandas, is documented in docs/types.md (one test per row in
tests/sql/test_types.py). Values are exact: nothing is rounded, truncated or left as wire bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

__all__ = ["Column", "TypeInfo", "TypeResolver", "column_spec"]

# builtin type OIDs (pg_type.dat)
_FIXED: dict[int, tuple[str, pa.DataType]] = {
    16: ("b", pa.bool_()),
    21: ("h", pa.int16()),
    23: ("i", pa.int32()),
    20: ("q", pa.int64()),
    26: ("i", pa.uint32()),  # oid
    28: ("i", pa.uint32()),  # xid
    700: ("f", pa.float32()),
    701: ("d", pa.float64()),
    1082: ("i", pa.date32()),
    1083: ("q", pa.time64("us")),
    1114: ("q", pa.timestamp("us")),
    1184: ("q", pa.timestamp("us")),  # the zone is the session's, set in column_spec
    1186: ("n", pa.duration("us")),
}
_STRINGS = {25, 1043, 1042, 19, 18, 142, 705}  # text, varchar, bpchar, name, "char", xml, unknown
_BYTEA = 17
_JSON = {114, 3802}
_NUMERIC = 1700
_TIMESTAMPTZ = 1184


@dataclass(frozen=True)
class TypeInfo:
    """What the catalog says of a type the map does not know by OID."""

    name: str  # format_type(oid, NULL)
    typtype: str  # b base, d domain, e enum, c composite, r range, m multirange, p pseudo
    category: str  # pg_type.typcategory: A array, S string, ...
    base_oid: int  # the base type of a domain, else 0


TypeLookup = Callable[[int], TypeInfo]


@dataclass(frozen=True)
class Column:
    """One result column: its name, type, how it travels and what it becomes.

    kind: the binary reader's code ('b','h','i','q','f','d','n' fixed widths, 'v' variable bytes).
    cast: a server-side cast applied before the value travels (None: as is).
    post: what happens on the client: 'none', 'numeric', 'json', 'vector', 'load' (psycopg text loader).
    """

    name: str
    oid: int
    typname: str
    kind: str
    arrow: pa.DataType
    cast: str | None = None
    post: str = "none"

    def field(self) -> pa.Field:
        return pa.field(
            self.name,
            self.arrow,
            metadata={
                b"pgai:type": self.typname.encode(),
                b"pgai:oid": str(self.oid).encode(),
                b"pgai:post": self.post.encode(),
            },
        )


def column_spec(name: str, oid: int, typname: str, lookup: TypeLookup, tz: str) -> Column:
    """The Column for a result column of type `oid` (`lookup` answers for OIDs not built in)."""
    if oid in _FIXED:
        kind, arrow = _FIXED[oid]
        if oid == _TIMESTAMPTZ:
            arrow = pa.timestamp("us", tz=tz)
        return Column(name, oid, typname, kind, arrow)
    if oid in _STRINGS:
        return Column(name, oid, typname, "v", pa.string(), cast="text" if oid == 18 else None)
    if oid == _BYTEA:
        return Column(name, oid, typname, "v", pa.binary())
    if oid in _JSON:
        return Column(name, oid, typname, "v", pa.string(), cast="text", post="json")
    if oid == _NUMERIC:
        return Column(name, oid, typname, "v", pa.string(), cast="text", post="numeric")
    info = lookup(oid)
    if info.typtype == "d" and info.base_oid:
        base = column_spec(name, info.base_oid, lookup(info.base_oid).name, lookup, tz)
        cast = base.cast if base.cast is not None else lookup(info.base_oid).name
        # the base type's OID: its loaders read the values (a domain's text is its base type's)
        return Column(name, base.oid, info.name, base.kind, base.arrow, cast=cast, post=base.post)
    if info.name in ("vector", "halfvec"):
        return Column(
            name, oid, info.name, "v", pa.binary(), cast="vector" if info.name == "halfvec" else None, post="vector"
        )
    if info.name == "citext" or info.typtype == "e":
        return Column(name, oid, info.name, "v", pa.string(), cast="text")
    return Column(name, oid, info.name, "v", pa.string(), cast="text", post="load")


class TypeResolver:
    """Result columns → Columns, with pg_type facts and the session's time zone cached (one per connection)."""

    def __init__(self) -> None:
        self._types: dict[int, TypeInfo] = {}
        self._zones: dict[str, tuple[str, str | None]] = {}

    def columns(self, conn: Any, res: Any, control: Any) -> tuple[list[Column], str | None]:
        """The Columns of a described result (`res`: a libpq PGresult) and a time-zone note, if any."""
        tz, note = self._timezone(conn)
        enc = conn.info.encoding
        oids = [res.ftype(i) for i in range(res.nfields)]
        self._load_types(control, [o for o in oids if o not in self._types])
        columns = [
            column_spec((res.fname(i) or b"?").decode(enc), oid, self._types[oid].name, self._types.__getitem__, tz)
            for i, oid in enumerate(oids)
        ]
        return columns, note

    def _timezone(self, conn: Any) -> tuple[str, str | None]:
        """The session's TimeZone as Arrow names it, and a note when it cannot be named.

        An IANA name is used as is; a POSIX-style setting with one offset all year becomes that fixed offset (as the
        server applies it); one with daylight-saving rules has no Arrow name: UTC, with a note.
        """
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        setting = conn.info.parameter_status("TimeZone") or "UTC"
        known = self._zones.get(setting)
        if known is not None:
            return known
        try:
            ZoneInfo(setting)
            found: tuple[str, str | None] = (setting, None)
        except (ZoneInfoNotFoundError, ValueError):
            res = conn.pgconn.exec_(
                b"SELECT EXTRACT(TIMEZONE FROM '2001-01-15 12:00'::timestamptz)::int, "
                b"EXTRACT(TIMEZONE FROM '2001-07-15 12:00'::timestamptz)::int"
            )
            winter, summer = (int(res.get_value(0, i) or 0) for i in (0, 1))
            if winter == summer:
                sign = "+" if winter >= 0 else "-"
                found = (f"{sign}{abs(winter) // 3600:02d}:{abs(winter) % 3600 // 60:02d}", None)
            else:
                found = ("UTC", f"TimeZone {setting!r} has daylight-saving rules but no IANA name: shown in UTC")
        self._zones[setting] = found
        return found

    def _load_types(self, control: Any, oids: Sequence[int]) -> None:
        """Fetch type facts for `oids` (and domain bases) once, on the control connection."""
        todo = list(oids)
        while todo:
            rows = control.execute(
                "SELECT oid::int8, format_type(oid, NULL), typtype, typcategory, typbasetype::int8 "
                "FROM pg_type WHERE oid = ANY(%s::oid[])",
                (todo,),
            ).fetchall()
            for oid, name, typtype, category, base in rows:
                self._types[int(oid)] = TypeInfo(str(name), str(typtype), str(category), int(base))
            missing = [o for o in todo if o not in self._types]
            for oid in missing:  # not in this database's catalog (cannot happen for a described column)
                self._types[oid] = TypeInfo(f"oid {oid}", "b", "U", 0)
            todo = [t.base_oid for t in self._types.values() if t.base_oid and t.base_oid not in self._types]
