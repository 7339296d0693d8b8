"""Cut the README's images out of executed tutorial notebooks (their SVG charts → PNG via vl-convert): charts shown
as image/svg+xml outputs, and charts inside HTML (insight cards, answers) as <img> data URIs of their SVG.

usage: python scripts/readme_images.py   (after `python scripts/run_tutorials.py --inplace`)
"""

from __future__ import annotations

import base64
import html.parser
from pathlib import Path

import nbformat
import vl_convert as vlc

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"
_PREFIX = "data:image/svg+xml;base64,"


class _SvgImages(html.parser.HTMLParser):
    """Collects the SVG text of each <img> whose source is an SVG data URI, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.svgs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        src = dict(attrs).get("src") or ""
        if tag == "img" and src.startswith(_PREFIX):
            self.svgs.append(base64.b64decode(src[len(_PREFIX) :]).decode("utf-8"))


def svgs_of(notebook: Path, marker: str) -> list[str]:
    """Every SVG chart in the outputs of the first code cell whose source contains `marker`."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and marker in cell.source:
            found: list[str] = []
            for out in cell.outputs:
                data = out.get("data", {})
                if "image/svg+xml" in data:
                    found.append(data["image/svg+xml"])
                elif data.get("text/html"):
                    images = _SvgImages()
                    images.feed(data["text/html"])
                    found.extend(images.svgs)
            return found
    return []


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    # (notebook, marker of the cell, which SVG of its outputs, image name)
    wanted = [
        ("05_automated_insights.ipynb", "%pgai insights sales_facts", 7, "insight_spike"),
        ("05_automated_insights.ipynb", "%pgai insights sales_facts", 3, "insight_concentration"),
        ("04_in_database_inference.ipynb", "%pgai model monitor", 1, "model_monitor"),
    ]
    for notebook, marker, index, name in wanted:
        svgs = svgs_of(ROOT / "notebooks" / notebook, marker)
        if len(svgs) < index:
            raise SystemExit(f"{notebook}: no SVG number {index} in the cell with {marker!r}; run the tutorials first")
        path = OUT / f"{name}.png"
        path.write_bytes(vlc.svg_to_png(svgs[index - 1], scale=2))
        print("wrote", path.relative_to(ROOT))


if __name__ == "__main__":
    main()
