"""Where replication chunks run: in this process, on local cores, or on Dask.

Every backend offers the same two things: `workers` (how many chunks run at
once) and `map_unordered(fn, tasks)`, a generator of results in the order
they finish. The caller sorts records by replication index, so the numbers
never depend on the backend or the worker count.

Ctrl-C: local worker processes ignore SIGINT (only the parent handles it).
On an interrupt the parent cancels the chunks that have not started, waits
for the running ones (a chunk is short) and still yields their results, then
re-raises KeyboardInterrupt so the caller keeps everything that finished.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class BackendError(RuntimeError):
    """A backend that cannot start (missing extra, unreachable scheduler)."""


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class InlineBackend:
    """Runs every chunk in this process, one after another (`--jobs 1`)."""

    workers = 1
    name = "inline"

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        for task in tasks:
            yield fn(task)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ProcessBackend:
    """A pool of local worker processes (`--jobs N`, N > 1)."""

    name = "local"

    def __init__(self, workers: int) -> None:
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        self._pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        from concurrent.futures import as_completed, wait

        futures = [self._pool.submit(fn, task) for task in tasks]
        yielded: set[int] = set()
        try:
            for future in as_completed(futures):
                yielded.add(id(future))
                yield future.result()
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            wait(futures)  # the chunks already running; cancelled ones are done at once
            for future in futures:
                if id(future) not in yielded and not future.cancelled() and future.exception() is None:
                    yielded.add(id(future))
                    yield future.result()
            raise
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DaskBackend:
    """Chunks on a Dask distributed cluster: `scheduler` address, or a local cluster.

    Needs the `cluster` extra (`dask[distributed]`). Workers must be able to
    import `sim` (same ttxsim version as the client).
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        try:
            import logging

            from distributed import Client, LocalCluster
        except ImportError:
            raise BackendError(
                "the dask backend needs dask.distributed: install the cluster extra, e.g. pip install 'ttxsim[cluster]'"
            ) from None
        self._cluster = None
        try:
            if scheduler:
                self._client = Client(scheduler, timeout="10s")
            else:
                self._cluster = LocalCluster(
                    n_workers=workers or available_cores(),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self._client = Client(self._cluster)
        except OSError as error:
            raise BackendError(f"cannot reach the Dask scheduler {scheduler!r}: {error}") from None
        threads = self._client.nthreads()
        self.workers = max(1, sum(threads.values()) if threads else (workers or 1))
        self.address = self._client.scheduler.address

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        from distributed import as_completed

        futures = self._client.map(fn, list(tasks), pure=False)
        try:
            for _future, result in as_completed(futures, with_results=True):
                yield result
        finally:
            self._client.cancel(futures)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_backend(kind: str = "local", jobs: int | None = None, scheduler: str | None = None):
    """The backend for `--backend kind --jobs jobs [--scheduler ADDR]`.

    `local` with one job runs in this process; more jobs start a process pool.
    """
    if kind == "dask":
        return DaskBackend(scheduler, jobs)
    if kind != "local":
        raise BackendError(f"unknown backend {kind!r} (choose local or dask)")
    jobs = jobs or available_cores()
    return InlineBackend() if jobs <= 1 else ProcessBackend(jobs)
