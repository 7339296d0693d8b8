"""EXPLAIN as a tree: PostgreSQL's JSON plan rendered with indentation, the costly nodes and the bad row estimates
marked (PostgreSQL docs, "Using EXPLAIN": exclusive time = a node's total time × loops minus its children's)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PlanNode", "PlanTree", "plan_tree"]

HOT_SHARE = 0.3  # a node taking at least this share of the total (time, or cost without ANALYZE) is marked
MISESTIMATE = 10.0  # actual rows off the estimate by this factor or more is marked


@dataclass
class PlanNode:
    """One plan node: what it does, estimate and (with ANALYZE) actual figures, exclusive share of the work."""

    label: str
    depth: int
    est_rows: float
    cost: float
    actual_rows: float | None = None
    loops: int = 1
    total_ms: float | None = None
    exclusive: float = 0.0  # ms with ANALYZE, else cost units
    share: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def misestimate(self) -> float | None:
        if self.actual_rows is None:
            return None
        est, act = max(self.est_rows, 1.0), max(self.actual_rows, 1.0)
        return max(est / act, act / est)


@dataclass
class PlanTree:
    """The plan: nodes in display order; renders as text and HTML with the hot and misestimated nodes marked."""

    nodes: list[PlanNode]
    analyzed: bool
    planning_ms: float | None = None
    execution_ms: float | None = None

    def lines(self) -> list[str]:
        out = []
        for node in self.nodes:
            flags = []
            if node.share >= HOT_SHARE:
                flags.append(f"◀ {node.share:.0%} of the {'time' if self.analyzed else 'cost'}")
            ratio = node.misestimate
            if ratio is not None and ratio >= MISESTIMATE:
                flags.append(f"rows estimated {node.est_rows:,.0f}, actual {node.actual_rows:,.0f}")
            out.append(
                "  " * node.depth + "→ " + _figures(node, self.analyzed) + ("   " + "; ".join(flags) if flags else "")
            )
        if self.analyzed:
            out.append(f"planning {self.planning_ms or 0:.3f} ms, execution {self.execution_ms or 0:.3f} ms")
        return out

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        rows = []
        for node, line in zip(self.nodes, self.lines()):
            hot = node.share >= HOT_SHARE or (node.misestimate or 0) >= MISESTIMATE
            style = "background:#fde2e1;font-weight:600;" if hot else ""
            rows.append(f'<div style="white-space:pre;{style}">{html.escape(line)}</div>')
        if self.analyzed:
            rows.append(f"<div><i>{html.escape(self.lines()[-1])}</i></div>")
        return f'<div style="font-family:monospace;font-size:12px">{"".join(rows)}</div>'


def _figures(node: PlanNode, analyzed: bool) -> str:
    text = f"{node.label}  (cost {node.cost:,.2f}, rows {node.est_rows:,.0f}"
    if analyzed and node.actual_rows is not None:
        text += f"; actual rows {node.actual_rows:,.0f}, loops {node.loops}, {node.total_ms or 0:,.3f} ms"
    return text + ")"


def _label(plan: dict[str, Any]) -> str:
    label = plan.get("Node Type", "?")
    if plan.get("Relation Name"):
        label += f" on {plan['Relation Name']}"
        if plan.get("Alias") and plan["Alias"] != plan["Relation Name"]:
            label += f" {plan['Alias']}"
    if plan.get("Index Name"):
        label += f" using {plan['Index Name']}"
    for key in ("Join Type", "Strategy"):
        if plan.get(key):
            label += f" [{plan[key]}]"
    for key in ("Index Cond", "Hash Cond", "Merge Cond", "Filter", "Join Filter"):
        if plan.get(key):
            label += f" {key.lower()}: {plan[key]}"
    return label


def plan_tree(explained: Any) -> PlanTree:
    """Build the tree from `EXPLAIN (FORMAT JSON …)` output (the parsed JSON: a one-element list)."""
    doc = explained[0] if isinstance(explained, list) else explained
    root = doc["Plan"]
    analyzed = "Actual Rows" in root
    nodes: list[PlanNode] = []

    def visit(plan: dict[str, Any], depth: int, parallel: bool = False) -> float:
        loops = int(plan.get("Actual Loops", 1) or 1)
        # under a Gather, loops are the workers running side by side: a node's time is its per-worker average
        repeat = 1 if parallel else loops
        node = PlanNode(
            label=_label(plan),
            depth=depth,
            est_rows=float(plan.get("Plan Rows", 0)),
            cost=float(plan.get("Total Cost", 0.0)),
            actual_rows=float(plan["Actual Rows"]) if analyzed and "Actual Rows" in plan else None,
            loops=loops,
            total_ms=float(plan.get("Actual Total Time", 0.0)) * repeat if analyzed else None,
        )
        nodes.append(node)
        inclusive = node.total_ms if analyzed else node.cost
        gathers = parallel or plan.get("Node Type") in ("Gather", "Gather Merge")
        children = sum(visit(child, depth + 1, gathers) for child in plan.get("Plans", []))
        node.exclusive = max((inclusive or 0.0) - children, 0.0)
        return inclusive or 0.0

    total = visit(root, 0)
    for node in nodes:
        node.share = min(node.exclusive / total, 1.0) if total > 0 else 0.0
    return PlanTree(nodes, analyzed, doc.get("Planning Time"), doc.get("Execution Time"))
