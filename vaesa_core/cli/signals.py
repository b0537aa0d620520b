"""Stop a command on SIGTERM the way Ctrl-C stops it."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["terminate_as_interrupt"]


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Raise KeyboardInterrupt on SIGTERM while the block runs.

    Without this, SIGTERM (``kill PID``, a job scheduler's stop) ends the
    process at once: a run directory misses its summary, and worker
    processes of a pool are left waiting for work that never comes. With
    it, the command's Ctrl-C handling runs: files are brought up to date
    and workers are shut down. Outside the main thread, where Python cannot
    set signal handlers, the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
