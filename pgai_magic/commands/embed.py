"""%pgai embed and %pgai similar: embed a text column into pgvector, search it by meaning."""

from __future__ import annotations

import argparse
from typing import Any

from pgai_magic.commands import ArgParser, Context, check_out, command, given, request_fields, split_args
from pgai_magic.display import ResultFrame
from pgai_magic.errors import ConfigError
from pgai_magic.vectors.chunking import DEFAULT_CHUNK_TOKENS
from pgai_magic.vectors.request import EmbedRequest

__all__: list[str] = []


@command(
    "embed",
    "embed a text column (or a template over several) into pgvector: chunks, HNSW + full-text indexes, kept in sync",
    '%pgai embed TABLE.COLUMN | TABLE --template "{a}: {b}" [--name N] | TABLE --columns a,b '
    "[--model M] [--chunk-tokens N] [--chunk-overlap N] [--language english|simple|...] [--batch-size N]",
)
def _embed(ctx: Context, rest: str, cell: str | None) -> None:
    parser = ArgParser("%pgai embed")
    parser.add_argument("column", metavar="TABLE.COLUMN", help="the text column, or TABLE with --template/--columns")
    parser.add_argument("--template", "-t", metavar="T", help='text made of several columns: "{title}: {description}"')
    parser.add_argument("--columns", "-c", metavar="A,B", help="several columns, one per line (a simple template)")
    parser.add_argument("--name", "-n", metavar="N", help="the name of a template's embedding (TABLE.N in similar)")
    parser.add_argument("--model", "-m", metavar="M", help="a local model folder or a model in the HF cache")
    parser.add_argument(
        "--chunk-tokens",
        type=int,
        metavar="N",
        help=f"tokens per chunk of whole sentences (default {DEFAULT_CHUNK_TOKENS}, at most the model's window)",
    )
    parser.add_argument("--chunk-overlap", type=int, metavar="N", help="tokens shared by neighbouring chunks")
    parser.add_argument("--language", metavar="CFG", help="full-text search configuration (default english)")
    parser.add_argument("--batch-size", type=int, metavar="N", help="rows claimed and written per transaction")
    args = parser.parse(split_args(rest))
    options = given(model=args.model, batch_size=args.batch_size, template=args.template, columns=args.columns,
                    name=args.name, chunk_tokens=args.chunk_tokens, chunk_overlap=args.chunk_overlap,
                    language=args.language)  # fmt: skip
    try:
        request = EmbedRequest(args.column, **options)
    except ConfigError as exc:  # a bad option: said with the usage, before anything is embedded
        parser.error(str(exc))
    result = ctx.session.embed(**request_fields(request))
    ctx.say(result.summary())


@command(
    "similar",
    "rows of an embedded column most similar to a text, best first",
    '%pgai similar TABLE.COLUMN "text" [--k 5] [--where SQL] [--hybrid] [--model M]',
)
def _similar(ctx: Context, rest: str, cell: str | None) -> Any:
    parser = ArgParser("%pgai similar")
    parser.add_argument("column", metavar="TABLE.COLUMN")
    parser.add_argument("text", nargs="*", help="what to look for (quote it)")
    parser.add_argument("--k", "-k", type=int, default=5, metavar="N", help="how many rows (default 5)")
    parser.add_argument("--where", metavar="SQL", help="a condition on the table's columns, e.g. \"lang = 'en'\"")
    parser.add_argument("--hybrid", action="store_true", help="fuse with full-text search (exact words, codes)")
    parser.add_argument("--model", "-m", metavar="M", help="search the vectors of this model (default: the active)")
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
    check_out(args.out)
    frame = ctx.session.similar(args.column, text, k=args.k, where=args.where, hybrid=args.hybrid, model=args.model)
    value = ResultFrame.wrap(frame, display_limit=max(ctx.settings.display_limit, args.k))
    return ctx.store(args.out, value)
