"""`python -m pgai_magic worker --dsn …`: the worker process: embeds queued rows and runs due monitoring checks
(several workers may share the work: rows and checks are claimed with FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from pgai_magic.display import counted
from pgai_magic.embed.base import Embedder
from pgai_magic.errors import EmbeddingError, PgaiError
from pgai_magic.server import redact_text

if TYPE_CHECKING:
    from pgai_magic.vectors.target import Target

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pgai_magic", description="pgai_magic command line")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser(
        "worker",
        help="embed queued rows of every embedded column as rows change, and run due monitoring checks",
        description="Embed rows queued by %%pgai embed and by changes to embedded columns, and run the monitoring "
        "checks scheduled with %%pgai model monitor --every. Several workers (on several GPUs or machines) can "
        "share the work: rows and checks are claimed with FOR UPDATE SKIP LOCKED.",
    )
    worker.add_argument(
        "--dsn",
        help="PostgreSQL connection string without a password (the process list shows it to every user: a password "
        "goes in PGAI_DSN / DATABASE_URL, a --dsn-file or ~/.pgpass); default: PGAI_DSN or DATABASE_URL",
    )
    worker.add_argument("--dsn-file", metavar="PATH", help="read the connection string from this file (first line)")
    worker.add_argument("--once", action="store_true", help="drain the queues and run the due checks, then exit")
    worker.add_argument(
        "--jobs",
        default="embed,monitor",
        metavar="J",
        help="what to run: embed, monitor or embed,monitor (default)",
    )
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


def _worker_dsn(args: argparse.Namespace) -> str | None:
    """The DSN from --dsn-file, PGAI_DSN / DATABASE_URL, or --dsn; None (after saying why) when there is none, or
    when --dsn holds a password: the command line is visible to every user of the machine (`ps`)."""
    from pgai_magic.server import resolve_dsn

    if args.dsn and args.dsn_file:
        print("pgai worker: give --dsn or --dsn-file, not both", file=sys.stderr)
        return None
    if args.dsn_file:
        try:
            text = Path(args.dsn_file).expanduser().read_text(encoding="utf-8").strip().splitlines()
        except OSError as exc:
            print(f"pgai worker: cannot read --dsn-file {args.dsn_file}: {exc.strerror}", file=sys.stderr)
            return None
        if not text or not text[0].strip():
            print(f"pgai worker: --dsn-file {args.dsn_file} is empty: put the connection string on its first line",
                  file=sys.stderr)  # fmt: skip
            return None
        return resolve_dsn(text[0].strip())
    if args.dsn and _has_password(args.dsn):
        print("pgai worker: --dsn holds a password, which every user of this machine can read in the process list; "
              "nothing was run: set PGAI_DSN (or DATABASE_URL), or put the connection string in a file only you may "
              "read and give --dsn-file PATH (or keep the password in ~/.pgpass)", file=sys.stderr)  # fmt: skip
        return None
    dsn = resolve_dsn(args.dsn)
    if dsn is None:
        print("pgai worker: give --dsn-file PATH (or set PGAI_DSN / DATABASE_URL)", file=sys.stderr)
    return dsn


def _has_password(dsn: str) -> bool:
    """Whether a connection string holds a password (`password=` / `sslpassword=`, or user:password@ in a URL);
    one that does not parse counts when it names a password or has user:…@ in a URL."""
    from urllib.parse import urlsplit

    from psycopg.conninfo import conninfo_to_dict

    from pgai_magic.server import resolve_dsn

    try:
        params = conninfo_to_dict(resolve_dsn(dsn) or "")
        return bool(params.get("password") or params.get("sslpassword"))
    except psycopg.ProgrammingError:
        try:
            in_url = "://" in dsn and urlsplit(dsn).password is not None
        except ValueError:
            in_url = True
        return in_url or "password" in dsn.lower()


def run_worker(args: argparse.Namespace) -> int:
    from pgai_magic.server import redact_dsn, remember

    dsn = _worker_dsn(args)
    if dsn is None:
        return 2
    remember(dsn)
    if args.batch_size < 1:
        print(f"pgai worker: --batch-size must be at least 1, not {args.batch_size}", file=sys.stderr)
        return 2
    jobs = {j.strip() for j in args.jobs.split(",") if j.strip()}
    if not jobs or jobs - {"embed", "monitor"}:
        print(f"pgai worker: --jobs takes embed, monitor or embed,monitor, not {args.jobs!r}", file=sys.stderr)
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
        total, checks = _serve(dsn, args, jobs, stop, say)
    except KeyboardInterrupt:
        say("interrupted; rows in flight stay queued")
        return 130
    except PgaiError as err:
        print(redact_text(f"pgai worker: {err}"), file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        print(redact_text(f"pgai worker: the database failed: {str(exc).strip()}"), file=sys.stderr)
        return 1
    except Exception:  # noqa: BLE001 - a bug: its traceback, with every password scrubbed
        print(redact_text(f"pgai worker: internal error\n{traceback.format_exc()}"), file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    checked = counted(checks, "monitoring check")
    say(f"done: {counted(total, 'row')} and {checked} in {time.perf_counter() - started:.1f} s")
    return 0


def _serve(
    dsn: str, args: argparse.Namespace, jobs: set[str], stop: threading.Event, say: Callable[[str], None]
) -> tuple[int, int]:
    """Run the jobs: with --once one after the other; else the monitoring checks in a thread beside the embedding
    worker. (rows embedded, checks run)"""
    from pgai_magic.inference.schedule import serve_checks

    def checks_log(message: str) -> None:
        say(f"monitor {message}")

    if "embed" not in jobs:
        return 0, serve_checks(dsn, once=args.once, stop=stop, log=checks_log)
    from pgai_magic.vectors.worker import serve

    counted = [0]
    thread = None
    if "monitor" in jobs and not args.once:

        def run_checks() -> None:
            counted[0] = serve_checks(dsn, stop=stop, log=checks_log)

        thread = threading.Thread(target=run_checks, name="pgai-monitor", daemon=True)
        thread.start()
    try:
        total = serve(dsn, _embedder_chooser(args.model, args.device), batch_size=args.batch_size, once=args.once,
                      stop=stop, log=say)  # fmt: skip
    finally:
        if thread is not None:
            stop.set()
            thread.join(timeout=60)
    if "monitor" in jobs and args.once:
        counted[0] = serve_checks(dsn, once=True, stop=stop, log=checks_log)
    return total, counted[0]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "worker":
        return run_worker(args)
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
