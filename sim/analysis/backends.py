"""Where replication chunks run: in this process, on local cores, or on Dask.

Every backend offers the same two things: `workers` (how many chunks run at
once) and `map_unordered(fn, tasks)`, a generator of results in the order
they finish. The caller sorts records by replication index, so the numbers
never depend on the backend or the worker count.

Ctrl-C: local worker processes ignore SIGINT (only the parent handles it).
On an interrupt the parent cancels the chunks that have not started, waits
for the running ones (a chunk is short) and still yields their results, then
re-raises KeyboardInterrupt so the caller keeps everything that finished.

A crashed worker (killed by the OOM killer, a segfault) breaks a local pool:
the chunks that had not finished run once more in a fresh pool; if that
pool breaks too, `WorkerCrashed` is raised after every finished chunk was
yielded, so the caller still keeps (and writes) them. On Dask the scheduler
recomputes the tasks of a lost worker itself; a task that keeps failing
raises `WorkerCrashed` the same way.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class BackendError(RuntimeError):
    """A backend that cannot start (missing extra, unreachable scheduler, unfit workers)."""


class ClusterError(BackendError):
    """A Dask cluster that cannot take the work: unreachable, no workers, or unfit workers."""


class WorkerCrashed(RuntimeError):
    """Chunks could not be finished; the message is one sentence for the user.

    Raised by `map_unordered` after every finished chunk has been yielded.
    """


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
    retries = 1
    """How many fresh pools a run may start after a worker crashed."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = self._new_pool()

    def _new_pool(self):
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=self.workers, initializer=_ignore_sigint)

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        todo = list(tasks)
        for attempt in range(self.retries + 1):
            if attempt:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = self._new_pool()
            unfinished: list[Any] = []
            yield from self._run_pool(fn, todo, unfinished)
            if not unfinished:
                return
            todo = unfinished
        raise WorkerCrashed(
            f"a worker process crashed twice on the same work ({len(todo)} of the chunks could not be "
            "finished); the finished replications are kept"
        )

    def _run_pool(self, fn: Callable[[Any], Any], tasks: list[Any], unfinished: list[Any]) -> Iterator[Any]:
        """Yield results of `tasks` in one pool; tasks lost to a crashed worker go to `unfinished`."""
        from concurrent.futures import as_completed, wait
        from concurrent.futures.process import BrokenProcessPool

        futures = {self._pool.submit(fn, task): task for task in tasks}
        yielded: set[int] = set()
        try:
            for future in as_completed(futures):
                try:
                    result = future.result()
                except BrokenProcessPool:
                    continue  # collected below, once the pool has failed every pending future
                yielded.add(id(future))
                yield result
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
        unfinished.extend(task for future, task in futures.items() if id(future) not in yielded)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


CONNECT_TIMEOUT = 10.0
"""Seconds to reach a Dask scheduler, to wait for its first worker, and for the preflight."""


def _probe_worker() -> str:
    """Run on every Dask worker by the preflight: the `sim` version it imports.

    This function is sent by reference (`sim.analysis.backends._probe_worker`), so a
    worker that cannot import `sim` already fails to unpickle it.
    """
    import sim

    return str(getattr(sim, "__version__", "unknown"))


def _client_version() -> str:
    import sim

    return str(getattr(sim, "__version__", "unknown"))


def unfit_workers(results: dict[str, Any], version: str) -> dict[str, str]:
    """Workers whose preflight answer is not `version`, with the reason for each."""
    unfit = {}
    for address, answer in sorted(results.items()):
        if isinstance(answer, BaseException):
            unfit[address] = f"cannot import sim ({_reason(answer)})"
        elif answer != version:
            unfit[address] = f"has sim {answer}, not {version}"
    return unfit


def _reason(error: BaseException) -> str:
    """The message of an error a worker sent back.

    A worker that cannot unpickle the probe answers with a plain `Exception`
    whose text is the repr of the real one (`ModuleNotFoundError("No module
    named 'sim'")`): that repr is unwrapped to its message.
    """
    while error.args and isinstance(error.args[0], BaseException):
        error = error.args[0]
    text = str(error) or type(error).__name__
    wrapped = re.fullmatch(r"""\w+\((['"])(.*)\1\)""", text, re.DOTALL)
    return wrapped.group(2).replace("\\'", "'") if wrapped else text


class DaskBackend:
    """Chunks on a Dask distributed cluster: a scheduler address or file, or a local cluster.

    Needs the `cluster` extra (`dask[distributed]`). Before any work is sent, a
    preflight asks every worker for the `sim` version it imports: a worker that
    cannot import it, or has another version, stops the run with one sentence
    naming it (a task sent to such a worker would fail, or wait forever when no
    worker can take it).
    """

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        workers: int | None = None,
        *,
        scheduler_file: str | None = None,
        timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        try:
            import logging

            from distributed import Client, LocalCluster
        except ImportError:
            raise BackendError(
                "the dask backend needs dask.distributed: install the cluster extra, e.g. pip install 'ttxsim[cluster]'"
            ) from None
        self._cluster = None
        self._client = None
        where = f"scheduler file {scheduler_file}" if scheduler_file else f"Dask scheduler {scheduler}"
        try:
            if scheduler_file:
                self._client = Client(scheduler_file=scheduler_file, timeout=f"{timeout}s")
            elif scheduler:
                self._client = Client(scheduler, timeout=f"{timeout}s")
            else:
                where = "local Dask cluster"
                self._cluster = LocalCluster(
                    n_workers=workers or available_cores(),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self._client = Client(self._cluster)
        except (OSError, TimeoutError, ValueError) as error:
            self.close()
            raise ClusterError(f"cannot reach the {where}: {error}") from None
        try:
            self._preflight(timeout, where)
        except BaseException:
            self.close()
            raise
        threads = self._client.nthreads()
        self.workers = max(1, sum(threads.values()) if threads else (workers or 1))
        self.address = self._client.scheduler.address

    def _preflight(self, timeout: float, where: str) -> None:
        """Fail within `timeout` seconds unless every worker imports our `sim` version."""
        try:
            self._client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise ClusterError(f"no worker joined the {where} within {timeout:g} s") from None
        try:
            answers = self._client.run(_probe_worker, on_error="return", callback_timeout=timeout)
        except TimeoutError:
            raise ClusterError(
                f"the workers of the {where} did not answer the version check within {timeout:g} s"
            ) from None
        unfit = unfit_workers(answers, _client_version())
        if unfit:
            named = "; ".join(f"{address} {reason}" for address, reason in unfit.items())
            raise ClusterError(
                f"{len(unfit)} of {len(answers)} Dask workers cannot run ttxsim {_client_version()}: {named}; "
                "install that version on every worker"
            )

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        from distributed import KilledWorker, as_completed

        futures = self._client.map(fn, list(tasks), pure=False)
        try:
            for future in as_completed(futures):
                if future.status == "error":
                    error = future.exception()
                    if isinstance(error, KilledWorker):  # Dask gave up recomputing it on other workers
                        raise WorkerCrashed(
                            f"a chunk killed every Dask worker that tried it ({error}); "
                            "the finished replications are kept"
                        )
                    raise error
                if future.status == "cancelled":
                    raise WorkerCrashed("the Dask scheduler cancelled a chunk; the finished replications are kept")
                yield future.result()
        finally:
            self._client.cancel(futures)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_backend(
    kind: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
):
    """The backend for `--backend kind --jobs jobs [--scheduler ADDR | --scheduler-file FILE]`.

    `local` with one job runs in this process; more jobs start a process pool.
    `dask` without an address or file reads `DASK_SCHEDULER_ADDRESS`, else starts a
    local cluster.
    """
    if kind == "dask":
        if not scheduler and not scheduler_file:
            scheduler = os.environ.get("DASK_SCHEDULER_ADDRESS") or None
        return DaskBackend(scheduler, jobs, scheduler_file=scheduler_file)
    if kind != "local":
        raise BackendError(f"unknown backend {kind!r} (choose local or dask)")
    jobs = jobs or available_cores()
    return InlineBackend() if jobs <= 1 else ProcessBackend(jobs)
