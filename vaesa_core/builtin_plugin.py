"""Components built into vaesa_core itself: the original search space and executors."""

from __future__ import annotations

from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

from vaesa_core.hookspecs import hookimpl
from vaesa_core.search.search_space import OriginalSpace


class SerialExecutor(Executor):
    """Run each submitted call at once in the calling thread (debugging, one core)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        from concurrent.futures import Future

        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # the future carries the error to the caller
            future.set_exception(error)
        return future


def _serial(max_workers: int) -> Executor:
    return SerialExecutor()


def _process(max_workers: int) -> Executor:
    return ProcessPoolExecutor(max_workers=max_workers)


def _thread(max_workers: int) -> Executor:
    return ThreadPoolExecutor(max_workers=max_workers)


def _original(design_space, **options):
    if options:
        raise ValueError(f"The original search space takes no options, but got {sorted(options)}.")
    return OriginalSpace(design_space)


@hookimpl
def vaesa_register_search_spaces():
    return {"original": _original}


@hookimpl
def vaesa_register_executors():
    return {"process": _process, "thread": _thread, "serial": _serial}
