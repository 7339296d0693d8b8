"""%pgai insights: ranked, explained findings on a table or query, shown as cards with small charts."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from pgai_magic.commands import ArgParser, Context, check_out, command, split_args
from pgai_magic.errors import ConfigError, InsightError

__all__ = ["insights_parser"]

USAGE = (
    "%pgai insights TABLE | --query SQL [--measure M[,M2]] [--time T] [--dimensions a,b] [--top K] "
    "[--budget SECONDS] [--out VAR] [--html PATH] [--no-charts]   (or %%pgai insights with the query in the cell)"
)


MIN_ROWS = 2  # with fewer rows nothing varies: every column would be reported "constant"


def _check_enough_rows(frame: pd.DataFrame) -> None:
    """InsightError when the data had fewer than MIN_ROWS rows: too little to find anything (nothing is shown, stored
    or written)."""
    rows = frame.attrs.get("rows_analysed")
    if rows is not None and int(rows) < MIN_ROWS:
        rows = int(rows)
        source = frame.attrs.get("source", "the data")
        raise InsightError(
            f"{source} has {rows} row{'s' if rows != 1 else ''}: too little data for insights (they compare values "
            f"across at least {MIN_ROWS} rows; with one, every column would look constant)"
        )


def insights_parser() -> ArgParser:
    parser = ArgParser("%pgai insights")
    parser.add_argument("table", nargs="?", help="table or view to analyse (schema.table allowed)")
    parser.add_argument("--query", "-q", help="analyse the result of this SELECT instead of a table")
    parser.add_argument("--measure", "-m", help="numeric column(s) to analyse, comma-separated")
    parser.add_argument("--time", "-t", help="date or timestamp column for trends, change points and spikes")
    parser.add_argument("--dimensions", "-d", help="columns to group by, comma-separated")
    parser.add_argument("--top", "-k", type=int, default=15, help="how many insights to return (15)")
    parser.add_argument("--budget", "-b", type=float, default=20.0, help="time budget in seconds (20)")
    parser.add_argument("--out", "-o", metavar="VAR", help="also store the DataFrame in this variable")
    parser.add_argument("--html", metavar="PATH", help="also write a self-contained HTML report to PATH")
    parser.add_argument("--no-charts", action="store_true", help="cards without charts")
    return parser


@command("insights", "ranked, explained findings on a table or query, computed inside PostgreSQL", USAGE)
def _insights(ctx: Context, rest: str, cell: str | None) -> pd.DataFrame:
    args = insights_parser().parse(split_args(rest))
    query = args.query
    if cell is not None and cell.strip():
        if query or args.table:
            raise ConfigError("give the query either in the cell or as a table / --query, not both")
        query = cell.strip()
    if not query and not args.table:
        raise ConfigError(f"name a table or give --query\nusage: {USAGE}")
    check_out(args.out)
    target = Path(args.html).expanduser() if args.html else None
    if target is not None and not target.parent.is_dir():  # checked before the scans, not after
        raise ConfigError(f"--html {args.html!r}: the folder {str(target.parent)!r} does not exist")
    from pgai_magic.insights.request import InsightsRequest  # the engine (scipy) loads on first use, not at %load_ext

    request = InsightsRequest(
        table=None if query else args.table,
        query=query,
        measure=args.measure,
        time=args.time,
        dimensions=args.dimensions,
        top=args.top,
        budget=args.budget,
        progress=True,
    )
    frame: pd.DataFrame = ctx.session.insights(**asdict(request))
    _check_enough_rows(frame)
    from pgai_magic.display import CardFrame
    from pgai_magic.insights.render import cards_html, cards_text

    if target is not None:
        from pgai_magic.insights.render import report_html

        target.write_text(report_html(frame), encoding="utf-8")
    # the cards are how the frame displays: one rendering, not cards and then the table again
    shown = CardFrame.wrap(frame, cards_html(frame, with_charts=not args.no_charts), cards_text(frame))
    return ctx.store(args.out, shown)
