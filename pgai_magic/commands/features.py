"""%pgai features: define and list feature views, build point-in-time training sets."""

from __future__ import annotations

from typing import Any

from pgai_magic.commands import ArgParser, Context, check_out, command, given, request_fields, split_args
from pgai_magic.display import ResultFrame
from pgai_magic.errors import ConfigError

__all__ = ["USAGE"]

USAGE = """
%pgai features                                  the feature views (latest versions)
%pgai features define NAME --entity COL --time COL (--from "SELECT …" | --table T) [--created COL]
                      [--description TEXT]      (redefining with another query or columns makes a new version)
%pgai features show NAME [--version V]  |  drop NAME
%pgai features training-set --labels "SELECT entity, label_time, label FROM …" --features VIEW[@V][:FEATURE],…
                      [--label-time COL] [--ttl 30d] [--out DF | --into TABLE] [--strategy auto|lateral|sweep]
                      (each label row gets each view's latest row at or before its label time, in PostgreSQL)
"""
ACTIONS = ("define", "show", "drop", "training-set", "list")


def _define(ctx: Context, args: list[str]) -> Any:
    from pgai_magic.features import ViewRequest

    parser = ArgParser("%pgai features define")
    parser.add_argument("name")
    parser.add_argument("--entity", required=True, help="the entity column (the join key of the labels)")
    parser.add_argument("--time", required=True, help="the event time column: when the row became true")
    parser.add_argument("--from", dest="query", help="the read query of the feature rows")
    parser.add_argument("--table", help="a table or view holding the feature rows")
    parser.add_argument("--created", help="breaks ties of one entity and time: the latest wins")
    parser.add_argument("--description", help="what the view holds")
    ns = parser.parse(args)
    request = ViewRequest(ns.name, ns.entity, ns.time, ns.query, ns.table, ns.created, ns.description)
    view, made = ctx.session.define_features(**request_fields(request))
    ctx.say(view.summary() if made else f"{view.summary()} (unchanged: the same definition as v{view.version})")
    return view


def _show(ctx: Context, args: list[str]) -> Any:
    parser = ArgParser("%pgai features show")
    parser.add_argument("name")
    parser.add_argument("--version", type=int)
    ns = parser.parse(args)
    view = ctx.session.features.get(ns.name, ns.version)
    from pgai_magic.display import Lines

    ctx.show(Lines({"name": view.name, "version": view.version, "entity": view.entity, "time": view.time,
                    "created": view.created, "features": view.features, "query": view.query,
                    "sources": ", ".join(view.sources), "description": view.description,
                    "created at": view.created_at, "created by": view.created_by}))  # fmt: skip
    return view


def _training_set(ctx: Context, args: list[str]) -> Any:
    from pgai_magic.features.request import STRATEGIES, TrainingSetRequest

    parser = ArgParser("%pgai features training-set")
    parser.add_argument("--labels", required=True, help="SELECT of the entity column(s), the label time and labels")
    parser.add_argument("--features", required=True, help="views and features: VIEW[@VERSION][:FEATURE],…")
    parser.add_argument("--label-time", help="the time column of --labels (default: label_time or the only time)")
    parser.add_argument("--ttl", help="leave out feature rows older than this before the label time: 30d, 12h, …")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--out", metavar="VAR", help="also keep the rows in this notebook variable")
    target.add_argument("--into", metavar="TABLE", help="write the rows to this new table instead")
    parser.add_argument("--strategy", choices=STRATEGIES, help="the plan (default auto: the planner's estimate)")
    ns = parser.parse(args)
    check_out(ns.out)
    request = TrainingSetRequest(ns.labels, ns.features, ns.label_time, ns.ttl, ns.into,
                                 **given(strategy=ns.strategy))  # fmt: skip
    result = ctx.session.training_set(**request_fields(request))
    ctx.say(result.summary())
    for note in result.notes:
        ctx.say(f"hint: {note}")
    if result.frame is None:
        return None
    frame = ResultFrame.wrap(result.frame, display_limit=ctx.settings.display_limit, elapsed=result.seconds)
    return ctx.store(ns.out, frame)


@command("features", "feature views and point-in-time training sets", USAGE)
def _features(ctx: Context, rest: str, cell: str | None) -> Any:
    args = split_args(rest)
    if not args or args[0] == "list":
        ArgParser("%pgai features").parse(args[1:])
        return ctx.session.features()
    action, tail = args[0], args[1:]
    if action not in ACTIONS:
        raise ConfigError(f"unknown features action {action!r}: use one of {', '.join(ACTIONS)}\n{USAGE.strip()}")
    if cell and cell.strip() and action in ("define", "training-set"):
        flag = "--from" if action == "define" else "--labels"
        if flag not in tail:
            tail += [flag, cell.strip()]  # the query may also be the cell body
    if action == "drop":
        parser = ArgParser("%pgai features drop")
        parser.add_argument("name")
        name = parser.parse(tail).name
        ctx.say(f"dropped {ctx.session.features.drop(name)} version(s) of feature view {name}")
        return None
    handlers = {"define": _define, "show": _show, "training-set": _training_set}
    return handlers[action](ctx, tail)
