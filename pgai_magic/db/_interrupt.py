"""Ctrl-C around a running statement: cancel on the server, again and again, until the statement has ended.

The statement runs in a worker thread; the main thread waits for it. While it waits, SIGINT is recorded by a handler
of its own (so no KeyboardInterrupt can cut the wait short and leave the statement running); on an interrupt the main
thread asks the server to cancel (repeatedly, since a cancel that arrives before the query starts is lost), terminates
the backend when cancels have not ended it after `terminate_after` seconds, and always waits for the worker to finish,
so no statement ever starts while the previous one still uses the connection. psql does the same with its cancel
request (PostgreSQL docs, "Canceling Queries in Progress").
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Outcome", "interruptible"]

_UNTOUCHED = object()


def _take_sigint(handler: Callable[[int, Any], None]) -> Any:
    """Route SIGINT to `handler` while a statement runs (main thread only); what to restore afterwards.

    A KeyboardInterrupt raised between starting the statement and waiting for it would leave the statement running
    on the connection after the cell returned: recording the interrupt instead closes that window.
    """
    if threading.current_thread() is not threading.main_thread():
        return _UNTOUCHED
    current = signal.getsignal(signal.SIGINT)
    if current is None:  # installed outside Python: leave it alone
        return _UNTOUCHED
    signal.signal(signal.SIGINT, handler)
    return current


def _give_back_sigint(previous: Any) -> None:
    if previous is not _UNTOUCHED:
        signal.signal(signal.SIGINT, previous)


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
    interrupts: list[float] = []  # when each Ctrl-C came

    def on_sigint(signum: int, frame: Any) -> None:  # recorded, never raised mid-way through this function
        interrupts.append(time.monotonic())

    previous = _take_sigint(on_sigint)
    terminated = False
    try:
        thread.start()
        while not done.is_set():
            try:
                if interrupts and not terminated:
                    if time.monotonic() - interrupts[0] > terminate_after:
                        terminate()
                        terminated = True
                    else:
                        cancel()
                done.wait(0.05 if not interrupts else cancel_every)
            except KeyboardInterrupt:  # where the handler could not be taken (not the main thread)
                interrupts.append(time.monotonic())
        thread.join()
    finally:
        _give_back_sigint(previous)
    interrupted_at = interrupts[0] if interrupts else None
    outcome.cancelled = interrupted_at is not None and outcome.error is not None
    outcome.terminated = terminated
    outcome.interrupted = interrupted_at is not None
    return outcome
