"""Execute the tutorial notebooks headless on the embedded default and write their rendered HTML.

usage: python scripts/run_tutorials.py [--out demo_output] [--inplace] [--timeout 600] [NOTEBOOK ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_notebook(path: Path, *, timeout: int = 600, inplace: bool = False, out_dir: Path | None = None) -> float:
    """Execute one notebook in a fresh kernel; store outputs in place and/or write HTML. Returns seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    elapsed = time.perf_counter() - start
    if inplace:
        nbformat.write(nb, path)
    if out_dir is not None:
        from nbconvert import HTMLExporter

        out_dir.mkdir(parents=True, exist_ok=True)
        body, _ = HTMLExporter().from_notebook_node(nb)
        (out_dir / (path.stem + ".html")).write_text(body, encoding="utf-8")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="folder for the rendered HTML")
    parser.add_argument("--inplace", action="store_true", help="store the outputs in the notebooks")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # the kernels import pgai_magic from this checkout
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    failed = 0
    for nb in notebooks:
        try:
            seconds = run_notebook(nb, timeout=args.timeout, inplace=args.inplace, out_dir=args.out)
            print(f"ok   {nb.name} ({seconds:.1f} s)", flush=True)
        except Exception as exc:  # noqa: BLE001 - report every notebook, fail at the end
            failed += 1
            print(f"FAIL {nb.name}: {type(exc).__name__}: {str(exc)[-2000:]}", flush=True)
    if args.out is not None:
        print(f"rendered tutorials written to {args.out.resolve()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
