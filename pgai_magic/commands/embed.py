"""%pgai embed and %pgai similar: embed a text column into pgvector, search it by meaning."""

from __future__ import annotations

import argparse
from typing import Any

from pgai_magic.commands import ArgParser, Context, command, split_args
from pgai_magic.display import ResultFrame

__all__: list[str] = []


@command(
    "embed",
    "embed a text column into pgvector (backfill, HNSW index, kept in sync as rows change)",
    "%pgai embed TABLE.COLUMN [--model M] [--batch-size N]",
)
def _embed(ctx: Context, rest: str, cell: str | None) -> None:
    parser = ArgParser("%pgai embed")
    parser.add_argument("column", metavar="TABLE.COLUMN", help="the text column (schema-qualified if needed)")
    parser.add_argument("--model", "-m", metavar="M", help="a local model folder or a model in the HF cache")
    parser.add_argument("--batch-size", type=int, metavar="N", help="rows claimed and written per transaction")
    args = parser.parse(split_args(rest))
    if args.batch_size is not None and not 1 <= args.batch_size <= 100_000:
        parser.error(f"--batch-size must be from 1 to 100000 rows, not {args.batch_size}")
    result = ctx.session.embed(args.column, model=args.model, batch_size=args.batch_size)
    ctx.say(result.summary())


@command(
    "similar",
    "rows of an embedded column most similar to a text, best first",
    '%pgai similar TABLE.COLUMN "text" [--k 5] [--where SQL]',
)
def _similar(ctx: Context, rest: str, cell: str | None) -> Any:
    parser = ArgParser("%pgai similar")
    parser.add_argument("column", metavar="TABLE.COLUMN")
    parser.add_argument("text", nargs="*", help="what to look for (quote it)")
    parser.add_argument("--k", "-k", type=int, default=5, metavar="N", help="how many rows (default 5)")
    parser.add_argument("--where", metavar="SQL", help="a condition on the table's columns, e.g. \"lang = 'en'\"")
    parser.add_argument("--out", "-o", metavar="VAR", help="also store the result in this variable")
    try:  # the words of the text may come before or after the options
        args, extra = parser.parse_known_intermixed_args(split_args(rest))
    except argparse.ArgumentError as exc:
        parser.error(str(exc))
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    text = " ".join(args.text) or (cell or "").strip()
    if not text:
        parser.error('give the text to search for: %pgai similar faq.question "where is my parcel"')
    if args.out and not args.out.isidentifier():
        parser.error(f"--out needs a python variable name, not {args.out!r}")
    frame = ctx.session.similar(args.column, text, k=args.k, where=args.where)
    value = ResultFrame.wrap(frame, display_limit=max(ctx.settings.display_limit, args.k))
    if args.out:
        ctx.namespace[args.out] = value
    return value
