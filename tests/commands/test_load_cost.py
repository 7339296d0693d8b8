"""`%load_ext pgai_magic` stays light: the heavy capabilities (the insight engine and scipy, scikit-learn, the
translator, torch) load when first used, not when the magic is imported."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("scipy", "sklearn", "torch", "sentence_transformers", "pgai_magic.insights.engine", "pgai_magic.nl2sql")


def test_importing_the_magic_loads_no_heavy_capability() -> None:
    code = "import sys, json, pgai_magic.magic; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    assert "pgai_magic.magic" in loaded
    assert [m for m in HEAVY if m in loaded] == []
