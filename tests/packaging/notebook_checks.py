"""What a notebook output must be to stay readable offline and untrusted: checks shared by the notebook tests.

JupyterLab sanitizes the HTML of an untrusted output (no <style>, <script>, <svg> or <iframe>; inline styles of an
allowed list of properties only; an <img> keeps a data: source) and, without network, nothing loads from the web.
A <style> that only aligns the cells of a pandas / polars table (`.dataframe …`) is harmless to lose.
Charts are images (image/png for untrusted notebooks, image/svg+xml for trusted ones) with a text/plain fallback.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

# the tags an untrusted output loses with their content, or that would fetch or run something
_DROPPED_TAGS = {"style", "script", "svg", "iframe", "object", "embed", "link", "meta"}
# CSS properties JupyterLab's sanitizer keeps (packages/apputils/src/sanitizer.ts, allowedStyles), those used here
_ALLOWED_STYLES = {
    "background", "background-color", "border", "border-bottom", "border-collapse", "border-radius", "border-top",
    "color", "display", "float", "font", "font-family", "font-size", "font-style", "font-weight", "height",
    "line-height", "margin", "margin-bottom", "margin-left", "margin-right", "margin-top", "max-width", "min-width",
    "padding", "padding-bottom", "padding-left", "padding-right", "padding-top", "text-align", "vertical-align",
    "white-space", "width", "word-break",
}  # fmt: skip
# a URL something would be fetched from (XML namespaces such as http://www.w3.org/2000/svg are names, not fetches)
_FETCHED = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", re.I)
_CDN = re.compile(r"cdn\.jsdelivr|unpkg\.com|cdnjs|vega\.github\.io/schema", re.I)
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)
FROZEN_BAR = re.compile(r"\d+%\|")  # tqdm's "insights:   0%|          | 0/2"
ZERO_FOOTER = re.compile(r"· 0\.000 s")
_LEGACY_CHART_TYPES = ("application/vnd.vegalite", "application/vnd.vega", "application/javascript")


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_TAGS and tag != "style":  # a <style> is judged by what it styles (below)
            self.problems.append(f"<{tag}> (an untrusted notebook drops it)")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            if name == "style" and value:
                for prop in (p.split(":", 1)[0].strip().lower() for p in value.split(";") if ":" in p):
                    if prop not in _ALLOWED_STYLES:
                        self.problems.append(f"style property {prop!r} on <{tag}> (not kept untrusted)")
            if name == "src" and value and tag == "img" and not value.startswith("data:image/"):
                self.problems.append(f"<img src={value[:40]!r}> (not an inline image)")


def html_problems(markup: str) -> list[str]:
    """Why `markup` would not read the same in an untrusted or offline notebook (empty: it would)."""
    parser = _Markup()
    parser.feed(markup)
    problems = parser.problems
    for css in _STYLE.findall(markup):  # pandas' and polars' own table styles only align cells: harmless to lose
        selectors = [sel.strip() for rule in css.split("}") if "{" in rule for sel in rule.split("{")[0].split(",")]
        if not selectors or not all(sel.startswith(".dataframe") for sel in selectors):
            problems.append("<style> (an untrusted notebook drops it)")
    if _FETCHED.search(markup) or _CDN.search(markup):
        problems.append("an external URL (a script, stylesheet or image fetched from the web)")
    return problems


def output_problems(output: dict[str, Any]) -> list[str]:
    """Why one stored output (nbformat dict) would not read well offline, untrusted or after the run."""
    problems: list[str] = []
    data = output.get("data", {})
    text = "".join(output.get("text", "")) if output.get("output_type") == "stream" else ""
    plain = "".join(data.get("text/plain", ""))
    for piece in (text, plain):
        if FROZEN_BAR.search(piece):
            problems.append(f"a frozen progress bar: {FROZEN_BAR.search(piece)[0]!r} in {piece[:60]!r}")  # type: ignore[index]
        if ZERO_FOOTER.search(piece):
            problems.append(f"a '· 0.000 s' footer in {piece[:60]!r}")
    if "application/vnd.jupyter.widget-view+json" in data:
        problems.append("a widget (its state is not saved: a reader sees its frozen text)")
    for kind in _LEGACY_CHART_TYPES:
        if any(k.startswith(kind) for k in data):
            problems.append(f"a {kind} output (drawn by a script, not an image)")
    if "text/html" in data:
        markup = "".join(data["text/html"])
        problems += html_problems(markup)
        if FROZEN_BAR.search(markup) or ZERO_FOOTER.search(markup):
            problems.append("a frozen progress bar or a '· 0.000 s' footer in the HTML")
    if "image/svg+xml" in data:
        svg = "".join(data["image/svg+xml"])
        if _FETCHED.search(svg) or _CDN.search(svg) or "<script" in svg:
            problems.append("an SVG that fetches or runs something")
        if "image/png" not in data:
            problems.append("an SVG chart without a PNG (an untrusted JupyterLab shows no SVG)")
    if re.fullmatch(r"<[\w.]+ object(?: at 0x[0-9a-f]+)?>", plain.strip()):
        problems.append(f"no readable text/plain ({plain.strip()[:50]}): what text-only viewers show")
    if ("image/png" in data or "image/svg+xml" in data) and not plain.strip():
        problems.append("an image without a text/plain description")
    return problems


def notebook_problems(nb: dict[str, Any]) -> list[str]:
    """Every problem of every stored output of a notebook, with its cell number; errors only in cells tagged
    `raises-exception` (the cells that show an error on purpose)."""
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        for output in cell.get("outputs", []):
            problems = output_problems(output)
            if output.get("output_type") == "error":
                if "raises-exception" not in tags:
                    problems.append(f"an error ({output.get('ename')}) in a cell not tagged raises-exception")
                if any("Traceback" in line for line in output.get("traceback", [])):
                    problems.append("a Python traceback (a pgai error shows its message only)")
            found += [f"cell {i}: {p}" for p in problems]
    return found
