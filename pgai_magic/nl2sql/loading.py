"""The built-in translator's learned data read in the background, so that a question asked meanwhile need not wait.

    loading.begin()      # a kernel's warm-up, before it starts reading (cheap: no heavy import here)
    loading.finish()     # the warm-up, once the learned model and the judge are read (or failed to be)
    loading.pending()    # True between the two: the rule translator answers alone, with a note

Without a warm-up nothing is pending and the first question reads the data itself (a library user, a benchmark:
the same answers whatever the timing).
"""

from __future__ import annotations

import threading

__all__ = ["begin", "finish", "pending"]

_started = threading.Event()
_done = threading.Event()


def begin() -> None:
    """Say that a background thread is reading the learned data (questions asked until `finish` do not wait)."""
    _started.set()


def finish() -> None:
    """Say that the background reading has ended (read, or failed: the question then reads and reports it)."""
    _done.set()


def pending() -> bool:
    """Whether a background thread is still reading the learned data."""
    return _started.is_set() and not _done.is_set()
