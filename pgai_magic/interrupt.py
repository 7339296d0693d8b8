"""Ctrl-C around a running statement: cancel on the server, again and again, until the statement has ended.

The statement runs in a worker thread; the main thread waits for it. On KeyboardInterrupt the main thread asks
the server to cancel (repeatedly, since a cancel that arrives before the query starts is lost), terminates the
backend when cancels have not ended it after `terminate_after` seconds, and always waits for the worker to finish,
so no statement ever starts while the previous one still uses the connection. Further Ctrl-Cs while it waits are
absorbed. psql does the same with its cancel request (PostgreSQL docs, "Canceling Queries in Progress").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Outcome", "interruptible"]


@dataclass
class Outcome:
    """How the work ended: its value, the exception it raised, or cancelled by an interrupt."""

    value: Any = None
    error: BaseException | None = None
    cancelled: bool = False
    terminated: bool = False  # cancels did not end it: the backend was terminated
    interrupted: bool = False  # a Ctrl-C came (the work may still have finished normally)


def interruptible(
    work: Callable[[], Any],
    *,
    cancel: Callable[[], None],
    terminate: Callable[[], None],
    cancel_every: float = 0.2,
    terminate_after: float = 10.0,
) -> Outcome:
    """Run `work` in a thread; on Ctrl-C cancel it on the server until it has ended.

    Returns an Outcome; `cancelled` is True when an interrupt came and the work did not finish normally
    (a statement that completed before the cancel reached the server keeps its result, as in psql).
    """
    outcome = Outcome()
    done = threading.Event()

    def target() -> None:
        try:
            outcome.value = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome.error = exc
        finally:
            done.set()

    thread = threading.Thread(target=target, name="pgai-statement", daemon=True)
    thread.start()
    interrupted_at: float | None = None
    terminated = False
    while not done.is_set():
        try:
            if interrupted_at is not None and not terminated:
                if time.monotonic() - interrupted_at > terminate_after:
                    terminate()
                    terminated = True
                else:
                    cancel()
            done.wait(0.05 if interrupted_at is None else cancel_every)
        except KeyboardInterrupt:
            if interrupted_at is None:
                interrupted_at = time.monotonic()
    thread.join()
    outcome.cancelled = interrupted_at is not None and outcome.error is not None
    outcome.terminated = terminated
    outcome.interrupted = interrupted_at is not None
    return outcome
