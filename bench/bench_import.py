"""What `%load_ext pgai_magic` costs: `import pgai_magic.magic` in a fresh interpreter, this tree against an anchor.

    python bench/bench_import.py --anchor DIR [--runs 11] [--module pgai_magic.magic]

DIR is another checkout of the project (e.g. `git archive main | tar -x -C /tmp/anchor`, with its C reader built
or copied in). Each run starts a fresh interpreter with the tree first on PYTHONPATH and measures the import's CPU
time (`time.process_time`, less sensitive to a busy machine than wall time) and wall time; the two trees alternate
run by run. Prints the median and range of each, and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = (
    "import json, sys, time\n"
    "c, w = time.process_time(), time.perf_counter()\n"
    "import {module}\n"
    "print(json.dumps([time.process_time() - c, time.perf_counter() - w, sys.modules['{module}'].__file__]))\n"
)


def one_run(tree: Path, module: str) -> tuple[float, float, str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-P", "-c", CODE.format(module=module)],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu, wall, path = json.loads(out.strip().splitlines()[-1])
    return float(cpu), float(wall), str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anchor", type=Path, required=True, help="the other checkout to compare with")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--module", default="pgai_magic.magic")
    args = parser.parse_args()
    trees = {"this tree": ROOT, "anchor": args.anchor.resolve()}
    for tree in trees.values():  # warm the bytecode caches, and check each tree imports its own package
        _, _, path = one_run(tree, args.module)
        assert Path(path).is_relative_to(tree), f"{path} is not under {tree}"
    print(f"load average before: {os.getloadavg()}")
    cpu: dict[str, list[float]] = {k: [] for k in trees}
    wall: dict[str, list[float]] = {k: [] for k in trees}
    for i in range(args.runs):
        order = list(trees) if i % 2 == 0 else list(reversed(trees))
        for name in order:
            c, w, _ = one_run(trees[name], args.module)
            cpu[name].append(c)
            wall[name].append(w)
    print(f"load average after: {os.getloadavg()}")
    for name in trees:
        print(
            f"{name:10s} import {args.module}: CPU median {statistics.median(cpu[name]):.3f} s "
            f"(range {min(cpu[name]):.3f}-{max(cpu[name]):.3f}), wall median {statistics.median(wall[name]):.3f} s "
            f"(range {min(wall[name]):.3f}-{max(wall[name]):.3f}), {args.runs} runs"
        )


if __name__ == "__main__":
    main()
