"""Cut the README's images out of executed tutorial notebooks (inline SVG outputs → PNG via vl-convert).

usage: python scripts/readme_images.py   (after `python scripts/run_tutorials.py --inplace`)
"""

from __future__ import annotations

import html.parser
from pathlib import Path

import nbformat
import vl_convert as vlc

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"


class _SvgGrabber(html.parser.HTMLParser):
    """Collects the raw text of each top-level <svg> element in an HTML output."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self.text = text
        self.svgs: list[str] = []
        self._depth = 0
        self._start = 0
        self._lines = [0]
        for line in text.splitlines(keepends=True):
            self._lines.append(self._lines[-1] + len(line))

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._lines[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            if self._depth == 0:
                self._start = self._offset()
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self._depth:
            self._depth -= 1
            if self._depth == 0:
                end = self.text.index("</svg>", self._offset()) + len("</svg>")
                self.svgs.append(self.text[self._start : end])


def svgs_of(notebook: Path, marker: str) -> list[str]:
    """Every SVG in the HTML outputs of the first code cell whose source contains `marker`."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and marker in cell.source:
            found: list[str] = []
            for out in cell.outputs:
                markup = out.get("data", {}).get("text/html")
                if markup:
                    grabber = _SvgGrabber(markup)
                    grabber.feed(markup)
                    found.extend(grabber.svgs)
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
