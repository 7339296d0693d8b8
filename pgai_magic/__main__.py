"""`python -m pgai_magic worker --dsn …`: run the embedding worker as a process (several may share a queue)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pgai_magic.embed.base import Embedder
from pgai_magic.errors import EmbeddingError, PgaiError

if TYPE_CHECKING:
    from pgai_magic.vectors.target import Target

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pgai_magic", description="pgai_magic command line")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser(
        "worker",
        help="embed queued rows of every embedded column, and keep doing so as rows change",
        description="Embed rows queued by %%pgai embed and by changes to embedded columns. Several workers "
        "(on several GPUs or machines) can share one queue: rows are claimed with FOR UPDATE SKIP LOCKED.",
    )
    worker.add_argument("--dsn", help="PostgreSQL connection string (default: PGAI_DSN or DATABASE_URL)")
    worker.add_argument("--once", action="store_true", help="drain the queues, then exit")
    worker.add_argument("--batch-size", type=int, default=256, metavar="N", help="rows claimed per transaction")
    worker.add_argument(
        "--model",
        metavar="M",
        help="load this model (local folder or HF-cache name) instead of each column's registered one; "
        "its dimension must match",
    )
    worker.add_argument("--device", help="cuda, cuda:1, mps or cpu (default: the best available)")
    worker.add_argument("--threads", type=int, metavar="N", help="torch CPU threads (default: torch's choice)")
    worker.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def _embedder_chooser(model: str | None, device: str | None) -> Callable[[Target], Embedder | None]:
    """Each column's registered model (or `model`), loaded once; columns it cannot serve are skipped."""
    from pgai_magic.embed.sentence import load_embedder

    warned: set[str] = set()

    def choose(target: Target) -> Embedder | None:
        try:
            embedder = load_embedder(model or target.model, device)
        except EmbeddingError as err:
            if target.label not in warned:
                warned.add(target.label)
                print(f"pgai worker: skipping {target.label}: {err}", file=sys.stderr)
            return None
        if embedder.dim != target.dim:
            if target.label not in warned:
                warned.add(target.label)
                print(
                    f"pgai worker: skipping {target.label}: it holds {target.dim}-dim vectors, "
                    f"{embedder.name} makes {embedder.dim}-dim ones",
                    file=sys.stderr,
                )
            return None
        return embedder

    return choose


def run_worker(args: argparse.Namespace) -> int:
    from pgai_magic.server import redact_dsn, resolve_dsn
    from pgai_magic.vectors.worker import serve

    dsn = resolve_dsn(args.dsn)
    if dsn is None:
        print("pgai worker: give --dsn (or set PGAI_DSN / DATABASE_URL)", file=sys.stderr)
        return 2
    if args.batch_size < 1:
        print(f"pgai worker: --batch-size must be at least 1, not {args.batch_size}", file=sys.stderr)
        return 2
    if args.threads:
        import torch

        torch.set_num_threads(max(1, args.threads))
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())  # finish the batches in flight, then exit
    say = (lambda message: None) if args.quiet else (lambda message: print(f"pgai worker: {message}", flush=True))
    say(f"pid {os.getpid()} on {redact_dsn(dsn)}" + (" (until the queues are empty)" if args.once else ""))
    started = time.perf_counter()
    try:
        total = serve(
            dsn,
            _embedder_chooser(args.model, args.device),
            batch_size=args.batch_size,
            once=args.once,
            stop=stop,
            log=say,
        )
    except KeyboardInterrupt:
        say("interrupted; rows in flight stay queued")
        return 130
    except PgaiError as err:
        print(f"pgai worker: {err}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    say(f"done: {total:,} rows in {time.perf_counter() - started:.1f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "worker":
        return run_worker(args)
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
