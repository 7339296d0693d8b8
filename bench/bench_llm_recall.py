"""Schema recall of the LLM prompt on a 60-table schema: are the tables and columns a question needs in it?

A fresh embedded PostgreSQL gets pgai_magic.datasets.wide (60 tables in six domains, 40 rows each; some foreign
keys declared, others only implied by names). For each question of bench/llm_recall_questions.yaml the LLM
generator's prompt is built exactly as `%pgai ask` builds it (`LLMGenerator.messages`, with the translator's
analysis of the question, no model called), and the question counts as recalled when every table it needs is
described in the prompt with every column it needs. Prompt size: characters of the whole prompt (system and user
messages) and approximate tokens (characters / 4), median and max; the anchor is the prompt carrying the whole
schema (`Catalog.describe()` of all 60 tables).

Three catalogs are measured: as loaded (with the keys the catalog infers itself, when it does), the keys as
declared only, and every key implied by names added as an inferred foreign key (`ForeignKey(inferred=True)`) --
the join paths a prompt can follow.

    python bench/bench_llm_recall.py [--verbose] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for var in ("PGAI_DSN", "DATABASE_URL", "PGAI_LLM_BASE_URL", "PGAI_LLM_PATH"):
    os.environ.pop(var, None)

from pgai_magic.catalog import Catalog, ForeignKey, load_catalog  # noqa: E402
from pgai_magic.datasets import wide  # noqa: E402
from pgai_magic.nl2sql.generator import LLMGenerator, Request  # noqa: E402
from pgai_magic.nl2sql.llm import FakeBackend  # noqa: E402
from pgai_magic.nl2sql.translator import Translator  # noqa: E402
from pgai_magic.server import ensure_embedded  # noqa: E402
from pgai_magic.session import Session  # noqa: E402

HERE = Path(__file__).resolve().parent
SCHEMA = "wide"


def declared_only(catalog: Catalog) -> int:
    """Drop the keys the catalog inferred (if it infers any); returns how many it had inferred."""
    dropped = 0
    for t in catalog.tables.values():
        dropped += sum(fk.inferred for fk in t.foreign_keys)
        t.foreign_keys = [fk for fk in t.foreign_keys if not fk.inferred]
        for col in t.columns:
            if col.foreign_key is not None and col.foreign_key.inferred:
                col.foreign_key = None
    return dropped


def add_inferred(catalog: Catalog) -> int:
    """Add the name-implied keys of the wide schema as inferred foreign keys (those not already known)."""
    added = 0
    for table, column, ref in wide.UNDECLARED:
        t, target = catalog.tables[f"{SCHEMA}.{table}"], catalog.tables[f"{SCHEMA}.{ref}"]
        fk = ForeignKey(t.key, (column,), target.key, target.primary_key, inferred=True)
        if any(k.columns == fk.columns for k in t.foreign_keys):
            continue
        t.foreign_keys.append(fk)
        col = t.column(column)
        if col is not None and col.foreign_key is None:
            col.foreign_key = fk
        added += 1
    return added


def carried(prompt: str, catalog: Catalog, need: list[str]) -> list[str]:
    """The needed 'table.column' items missing from the prompt's CREATE TABLE blocks."""
    blocks: dict[str, str] = {}
    for block in prompt.split("CREATE TABLE ")[1:]:
        head, _, body = block.partition("(")
        blocks[head.strip().split(".")[-1]] = body.split(");")[0]
    missing = []
    for item in need:
        table, column = item.split(".")
        body = blocks.get(table)
        if body is None or not any(line.strip().startswith(column + " ") for line in body.splitlines()):
            missing.append(item)
    return missing


def measure(catalog: Catalog, conn: Any, questions: list[dict[str, Any]], verbose: bool) -> dict[str, Any]:
    translator = Translator(catalog, conn=conn)
    generator = LLMGenerator(FakeBackend(["SELECT 1"]))
    sizes, recalled, misses = [], 0, []
    for item in questions:
        analysis = translator.analyze(item["q"])
        request = Request(item["q"], catalog, lambda _sql: None, analysis)
        messages = generator.messages(request)
        prompt = "\n".join(m["content"] for m in messages)
        sizes.append(len(prompt))
        missing = carried(prompt, catalog, item["need"])
        recalled += not missing
        if missing:
            misses.append({"q": item["q"], "missing": missing})
        if verbose:
            print(f"{len(prompt):6d} chars {'ok  ' if not missing else 'MISS'} {item['q']} {missing or ''}")
    whole = len(catalog.describe())
    return {
        "questions": len(questions),
        "recall": recalled / len(questions),
        "prompt_chars_median": statistics.median(sizes),
        "prompt_chars_max": max(sizes),
        "prompt_tokens_median_approx": statistics.median(sizes) / 4,
        "prompt_tokens_max_approx": max(sizes) / 4,
        "whole_schema_chars": whole,
        "whole_schema_tokens_approx": whole / 4,
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    questions = yaml.safe_load((HERE / "llm_recall_questions.yaml").read_text())["questions"]
    data_dir = Path(tempfile.mkdtemp(prefix="pgai-bench-llm-")) / "pg"
    server = ensure_embedded(data_dir, cleanup="delete")
    session = Session(data_dir=data_dir)
    result: dict[str, Any] = {}
    try:
        conn = session.db.control
        wide.load(session, schema=SCHEMA, seed=0)
        catalog = load_catalog(conn, [SCHEMA])
        result["catalog"] = measure(catalog, conn, questions, args.verbose)
        catalog = load_catalog(conn, [SCHEMA])
        result["catalog"]["inferred_by_catalog"] = declared_only(catalog)
        for item in questions:  # the question set names only what exists
            missing = carried(catalog.describe(), catalog, item["need"])
            if missing:
                raise SystemExit(f"{item['q']!r} needs {missing}, which the schema does not have")
        result["declared"] = measure(catalog, conn, questions, args.verbose)
        result["inferred_keys_added"] = add_inferred(catalog)
        result["with_inferred"] = measure(catalog, conn, questions, args.verbose)
    finally:
        session.close()
        server.handle.cleanup()  # type: ignore[attr-defined]
    result["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    print(json.dumps(result, indent=2, default=str))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
