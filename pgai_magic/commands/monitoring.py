"""Monitoring on a schedule, alerts and the prediction log: `model monitor --every / --from-log`, `model schedules`,
`model history`, `%pgai alerts`."""

from __future__ import annotations

from typing import Any

from pgai_magic.commands import ArgParser, Context, command, split_args
from pgai_magic.display import Chart

__all__ = ["history", "monitor_log", "schedule", "schedules", "show_chart", "try_rule"]

ALERTS_USAGE = "%pgai alerts [--all] [--ack ID]"


def show_chart(ctx: Context, chart: Any, description: str) -> None:
    """A chart as static images (display.Chart: SVG and PNG, offline; an untrusted notebook shows the PNG)."""
    ctx.show(Chart(chart, description))


def schedule(ctx: Context, ns: Any) -> Any:
    """`model monitor NAME --every 1d [--alert RULE] --actual SQL [--from-log --key K --days N]`: a schedule."""
    from pgai_magic.inference.schedule import ScheduleRequest

    request = ScheduleRequest(ns.name, ns.actual, ns.every, ns.alert, ns.target,
                              ns.key if ns.from_log else None, ns.days)  # fmt: skip
    made = ctx.session.models.schedule(request)
    rule = f", alert when {made['alert']}" if made["alert"] else ""
    what = "updated (the same model and query)" if made["updated"] else "the first run is due now"
    ctx.say(f"schedule #{made['id']}: monitor {made['name']} every {made['every']}{rule}; {what}")
    ctx.say("  a worker runs it: python -m pgai_magic worker (--once runs what is due and exits, for cron); "
            "%pgai alerts lists the alerts")  # fmt: skip
    return made


def try_rule(ctx: Context, rule: str, report: Any) -> None:
    """`--alert` on a run without --every: say whether the rule would fire on it (nothing is recorded)."""
    from pgai_magic.inference.rules import observed, parse_rule

    drift = [{str(k): v for k, v in r.items()} for r in report.drift.to_dict(orient="records")]
    breached, why, notes = parse_rule(rule, list(report.drift["feature"])).evaluate(observed(report.current, drift))
    verdict = f"breached ({' and '.join(why)})" if breached else "not breached"
    ctx.say(f"alert rule {rule!r} on this run: {verdict}" + "".join(f"; {n}" for n in notes))


def monitor_log(ctx: Context, ns: Any) -> Any:
    """`model monitor NAME --from-log --actual "SELECT key, outcome …" --key K [--days N]`: metrics by version."""
    frame = ctx.session.models.monitor_log(ns.name, ns.actual, key=ns.key, target=ns.target, days=ns.days)
    if frame.empty:
        ctx.say(f"no prediction of {ns.name} in the last {ns.days} days has an outcome in --actual (joined on "
                f"{ns.key}): score with %pgai model score (it logs unless --no-log)")  # fmt: skip
    return frame


def schedules(ctx: Context, args: list[str]) -> Any:
    parser = ArgParser("%pgai model schedules")
    parser.add_argument("name", nargs="?", help="the model (default: every model)")
    parser.add_argument("--drop", type=int, metavar="ID", help="remove this schedule")
    parser.add_argument("--now", action="store_true", help="make NAME's schedules due now (for the next worker)")
    ns = parser.parse(args)
    if ns.now:
        if not ns.name:
            parser.error("--now needs the model NAME")
        ids = ctx.session.models.due_now(ns.name)
        ctx.say(f"due now: schedule(s) {', '.join(f'#{i}' for i in ids)}; the next worker pass runs them")
        return None
    if ns.drop is not None:
        ctx.session.models.unschedule(ns.drop)
        ctx.say(f"schedule #{ns.drop} removed")
        return None
    return ctx.session.models.schedules(ns.name)


def history(ctx: Context, args: list[str]) -> Any:
    from pgai_magic.inference.charts import history_chart

    parser = ArgParser("%pgai model history")
    parser.add_argument("name")
    parser.add_argument("--metric", default="psi", help="psi (default), auc, accuracy, p_value, ks, psi(age), …")
    ns = parser.parse(args)
    frame = ctx.session.models.history(ns.name, ns.metric)
    show_chart(ctx, history_chart(frame, ns.name, ns.metric), f"chart: {ns.metric} of each monitoring run of {ns.name}")
    return frame


@command("alerts", "open alerts of scheduled monitoring (also in %pgai status); --ack acknowledges one", ALERTS_USAGE)
def _alerts(ctx: Context, rest: str, cell: str | None) -> Any:
    parser = ArgParser("%pgai alerts")
    parser.add_argument("--all", action="store_true", help="also the acknowledged alerts")
    parser.add_argument("--ack", type=int, metavar="ID", help="acknowledge this open alert")
    ns = parser.parse(split_args(rest))
    if ns.ack is not None:
        message = ctx.session.models.acknowledge(ns.ack)
        ctx.say(f"acknowledged alert #{ns.ack}: {message}")
        return None
    frame = ctx.session.models.alerts(include_acknowledged=ns.all)
    if frame.empty:
        ctx.say("no open alerts" if not ns.all else "no alerts")
    return frame
