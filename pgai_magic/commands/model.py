"""%pgai model deploy / train / list / show / rollback / monitor: in-database inference from the notebook."""

from __future__ import annotations

from typing import Any

from pgai_magic.commands import ArgParser, Context, command, given, request_fields, split_args
from pgai_magic.display import Chart
from pgai_magic.errors import ConfigError
from pgai_magic.inference.request import TASKS, TrainRequest
from pgai_magic.inference.strategy import STRATEGIES

__all__ = ["USAGE"]

USAGE = """
%pgai model deploy VAR --name NAME [--features a,b,c] [--data DF] [--target COL] [--deploy newest|best|never]
%pgai model train NAME --target COL --from "SELECT ..." [--algorithm A] [--test-size 0.2] [--task T]
                  [--deploy best|newest|never]   (best: activate only if the held-out metric is better)
%pgai model train NAME --target COL --features VIEW,… --labels "SELECT entity, label_time, COL FROM …"
                  [--label-time C] [--ttl 30d] …   (a point-in-time training set of feature views)
%pgai model list  |  show NAME [--version V]  |  rollback NAME [--version V]
%pgai model monitor NAME --actual "SELECT features..., actual FROM ..." [--target actual] [--no-record]
                    [--by-variant --key id]   (a split model: metrics per version, significance test)
                    [--every 1d --alert "psi > 0.25 or auc < 0.75"]   (a schedule: the worker runs it)
                    [--from-log --key id --days 30]   (the prediction log against the outcomes, by version)
%pgai model schedules [NAME] [--drop ID | --now]  |  history NAME [--metric psi|auc|p_value|psi(age)|…]
%pgai model score NAME --table T [--key id] --into T_SCORED [--engine auto|sql|python] [--version V] [--split]
                  [--no-log]   (every scored row goes to pgai.prediction_log unless --no-log)
%pgai model split NAME --versions 1,2 [--weights 70,30]   → pgai.variant_NAME(key), pgai.predict_NAME_split(key, …)
"""
ACTIONS = ("deploy", "train", "list", "show", "rollback", "monitor", "split", "score", "schedules", "history")


def _variable(ctx: Context, name: str | None, what: str) -> Any:
    if name is None:
        return None
    if name not in ctx.namespace:
        raise ConfigError(f"no variable named {name!r} in the notebook ({what})")
    return ctx.namespace[name]


def _deploy(ctx: Context, args: list[str]) -> Any:
    parser = ArgParser("%pgai model deploy")
    parser.add_argument("var", help="the fitted estimator or Pipeline variable")
    parser.add_argument("--name", required=True, help="model name: pgai.predict_NAME")
    parser.add_argument("--features", help="comma-separated argument names (default: feature_names_in_)")
    parser.add_argument("--data", help="training DataFrame variable: drift snapshot and argument types")
    parser.add_argument("--target", help="outcome column of --data: metrics on it")
    parser.add_argument("--deploy", choices=STRATEGIES, default="newest", help="which version becomes active")
    ns = parser.parse(args)
    estimator = _variable(ctx, ns.var, "the estimator")
    data = _variable(ctx, ns.data, "--data")
    features = [f.strip() for f in ns.features.split(",") if f.strip()] if ns.features else None
    mv = ctx.session.deploy(estimator, ns.name, features, data=data, target=ns.target, strategy=ns.deploy)
    _announce(ctx, mv)
    return mv


def _announce(ctx: Context, mv: Any) -> None:
    state = "active" if mv.active else "stored, not active"
    ctx.say(f"{mv.name} v{mv.version} ({mv.algorithm}): {state}")
    if mv.decision:
        ctx.say(f"  {mv.decision}")
    for note in getattr(mv, "notes", []):
        ctx.say(f"  note: {note}")
    shown = {k: round(v, 4) for k, v in mv.metrics.items() if k in ("accuracy", "auc", "mae", "rmse", "r2")}
    if shown:
        ctx.say(f"  metrics ({mv.metrics.get('split', 'as given')}): {shown}")
    for sig in mv.signatures().values():
        ctx.say(f"  {sig}" if mv.active else f"  {sig}  (calls the active version)")
    ctx.say(f"  this version: pgai.{mv.functions['predict']}(...)")


def _train(ctx: Context, args: list[str]) -> Any:
    parser = ArgParser("%pgai model train")
    parser.add_argument("name")
    parser.add_argument("--target", required=True, help="the outcome column")
    parser.add_argument("--from", dest="query", help="SELECT returning features and the target")
    parser.add_argument("--features", help="feature views to train on: VIEW[@VERSION][:FEATURE],… (with --labels)")
    parser.add_argument("--labels", help="with --features: SELECT of the entity, the label time and the target")
    parser.add_argument("--label-time", help="with --features: the time column of --labels")
    parser.add_argument("--ttl", help="with --features: leave out feature rows older than this (30d, 12h, …)")
    parser.add_argument("--algorithm", help="gradient_boosting (default), random_forest, decision_tree, linear, ...")
    parser.add_argument("--test-size", type=float, help=f"held-out fraction (default {TrainRequest.test_size})")
    parser.add_argument("--task", choices=TASKS, help="default: from the target column")
    parser.add_argument("--deploy", choices=STRATEGIES, help=f"which version becomes active ({TrainRequest.strategy})")
    ns = parser.parse(args)
    options = given(algorithm=ns.algorithm, test_size=ns.test_size, task=ns.task, strategy=ns.deploy)
    if ns.features or ns.labels:
        if ns.query or not (ns.features and ns.labels):
            raise ConfigError('train on --from "SELECT …", or on --features VIEW,… with --labels "SELECT …"')
        TrainRequest(ns.name, ns.target, ns.labels, **options)  # the options checked before any query runs
        views = given(label_time=ns.label_time, ttl=ns.ttl)
        mv = ctx.session.train(ns.name, ns.target, features=ns.features, labels=ns.labels, **views, **options)
    elif ns.query is None:
        raise ConfigError('give the training rows: --from "SELECT …" (or --features VIEW,… --labels "SELECT …")')
    else:
        request = TrainRequest(ns.name, ns.target, ns.query, **options)  # checked before the query runs
        mv = ctx.session.train(**request_fields(request))
    _announce(ctx, mv)  # its notes (the index advice of feature views) once
    return mv


def _monitor(ctx: Context, args: list[str]) -> Any:
    from pgai_magic.commands import monitoring

    parser = ArgParser("%pgai model monitor")
    parser.add_argument("name")
    parser.add_argument("--actual", required=True, help="SELECT returning the features and the actual outcome")
    parser.add_argument(
        "--target", help="the outcome column of --actual (default: the model's target column, else actual)"
    )
    parser.add_argument("--no-record", action="store_true", help="do not keep this check in pgai.model_monitoring")
    parser.add_argument("--by-variant", action="store_true", help="compare the versions of the model's A/B split")
    parser.add_argument("--key", default="id", help="the key column of --actual (--by-variant, --from-log)")
    parser.add_argument("--every", metavar="INTERVAL", help="monitor on a schedule: 1d, 12h, 1w, … (a worker runs it)")
    parser.add_argument("--alert", metavar="RULE", help='alert rule, e.g. "psi > 0.25 or auc < 0.75"')
    parser.add_argument("--from-log", action="store_true", help="compare the prediction log with --actual's outcomes")
    parser.add_argument("--days", type=int, default=30, help="with --from-log: the last N days of the log")
    ns = parser.parse(args)
    if not ns.actual.lstrip().lower().startswith(("select", "with", "(", "values", "table")):
        raise ConfigError(
            f"--actual takes a query, not {ns.actual!r}: a SELECT returning the model's features and the outcome "
            + (f"in a column named {ns.target!r}" if ns.target else "in the model's target column (or actual)")
            + " (--target NAME), e.g. "
            '--actual "SELECT *, body_mass_g AS actual FROM penguins"'
        )
    if ns.by_variant:
        return _monitor_variants(ctx, ns)
    if ns.every:
        return monitoring.schedule(ctx, ns)
    if ns.from_log:
        return monitoring.monitor_log(ctx, ns)
    report = ctx.session.models.monitor(ns.name, ns.actual, target=ns.target, record=not ns.no_record)
    # the report shows its summary, tables and notes once, as the cell's value; the chart above it, as an image
    ctx.show(Chart(report.chart(), f"chart: metrics (training and now) and PSI drift per feature of {ns.name}"))
    if ns.alert:
        monitoring.try_rule(ctx, ns.alert, report)
    return report


def _monitor_variants(ctx: Context, ns: Any) -> Any:

    report = ctx.session.models.monitor_variants(ns.name, ns.actual, target=ns.target, key=ns.key)
    ctx.show(Chart(report.chart(), f"chart: the metric of each variant of {ns.name}"))
    return report


def _ints(text: str, what: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"{what} must be comma-separated integers, e.g. 1,2 — got {text!r}") from None


def _split(ctx: Context, args: list[str]) -> Any:
    parser = ArgParser("%pgai model split")
    parser.add_argument("name")
    parser.add_argument("--versions", required=True, help="comma-separated versions, e.g. 1,2")
    parser.add_argument("--weights", help="comma-separated integer weights, e.g. 70,30 (default: equal)")
    ns = parser.parse(args)
    versions = _ints(ns.versions, "--versions")
    weights = _ints(ns.weights, "--weights") if ns.weights else None
    plan = ctx.session.models.split(ns.name, versions, weights)
    shares = ", ".join(f"v{v} {share:.1%}" for v, share in plan.shares().items())
    ctx.say(f"split {plan.name}: {shares} by md5 of the key")
    ctx.say(f"  pgai.variant_{plan.name}(key text) → integer (the version)")
    ctx.say(f"  pgai.predict_{plan.name}_split(key text, features…) (and predict_proba_{plan.name}_split)")
    return plan


def _score(ctx: Context, args: list[str]) -> Any:
    from pgai_magic.display import progress
    from pgai_magic.inference.score import ENGINES

    parser = ArgParser("%pgai model score")
    parser.add_argument("name")
    parser.add_argument("--table", required=True, help="the table to score")
    parser.add_argument("--into", required=True, help="the new table of (key, prediction)")
    parser.add_argument("--key", help="the row key column (default: the single-column primary key)")
    parser.add_argument("--engine", choices=ENGINES, default="auto", help="auto: time both on a sample")
    parser.add_argument("--version", type=int, help="score with this version (default: the active one)")
    parser.add_argument("--split", action="store_true", help="score through the model's A/B split (in SQL)")
    parser.add_argument("--no-log", action="store_true", help="do not keep the predictions in pgai.prediction_log")
    ns = parser.parse(args)
    if ns.split:
        return ctx.session.models.score_split(ns.name, ns.table, ns.into, key=ns.key, log=not ns.no_log)
    bar = progress(total=0, unit=" rows", unit_scale=True, delay=2.0, desc=f"scoring {ns.table}")

    def total(n: int) -> None:
        bar.total = n
        bar.refresh()

    try:
        result = ctx.session.models.score(ns.name, ns.table, ns.into, key=ns.key, engine=ns.engine, version=ns.version,
                                         progress=bar.update, on_total=total, log=not ns.no_log)  # fmt: skip
    finally:
        bar.close()
    return result  # its repr is the summary: shown once, as the cell's output


def _show(ctx: Context, args: list[str]) -> Any:
    parser = ArgParser("%pgai model show")
    parser.add_argument("name")
    parser.add_argument("--version", type=int)
    ns = parser.parse(args)
    mv = ctx.session.models.info(ns.name, ns.version)
    ctx.show(mv.details())  # a readable two-column table, then the versions with their metrics
    return mv.history


def _rollback(ctx: Context, args: list[str]) -> Any:
    parser = ArgParser("%pgai model rollback")
    parser.add_argument("name")
    parser.add_argument("--version", type=int)
    ns = parser.parse(args)
    mv = ctx.session.models.rollback(ns.name, ns.version)
    ctx.say(f"{mv.name} is now v{mv.version} ({mv.algorithm}); pgai.predict_{mv.name} calls it")
    return mv


@command(
    "model", "deploy, train, list, show, roll back, split, score and monitor (on a schedule) in-database models", USAGE
)
def _model(ctx: Context, rest: str, cell: str | None) -> Any:
    args = split_args(rest)
    if not args or args[0] not in ACTIONS:
        given = f" {args[0]!r}" if args else ""
        raise ConfigError(f"unknown model action{given}: use one of {', '.join(ACTIONS)}\n{USAGE.strip()}")
    action, tail = args[0], args[1:]
    if action in ("train", "monitor") and cell and cell.strip():
        flag = "--actual" if action == "monitor" else "--labels" if "--features" in tail else "--from"
        if flag not in tail:
            tail += [flag, cell.strip()]  # the query may also be the cell body
    if action == "list":
        ArgParser("%pgai model list").parse(tail)
        return ctx.session.models()
    from pgai_magic.commands import monitoring

    handlers = {"deploy": _deploy, "train": _train, "show": _show, "rollback": _rollback, "monitor": _monitor,
                "split": _split, "score": _score, "schedules": monitoring.schedules,
                "history": monitoring.history}  # fmt: skip
    return handlers[action](ctx, tail)
