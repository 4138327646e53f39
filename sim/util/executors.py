"""Where work runs: in this process, in a local process pool, on a Dask cluster, or in one process
forked early and kept for later (``ForkedService``). Every process this project starts is started
here, so each ends with its parent and ignores the parent's Ctrl-C the same way.

Every executor takes the same picklable tasks and yields results as they finish, in any
order; callers key results by replication, so which executor ran them (or in what
order) never changes a number.
"""
from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Callable, Iterable, Iterator

from sim.util.libc import libc_function


class ExecutorError(Exception):
    """The executor cannot be used (e.g. Dask asked for but not installed)."""


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _die_with_parent(parent: int) -> None:
    """In a pool worker: end when the parent process ends, even by SIGKILL (Linux asks the
    kernel to send SIGTERM; elsewhere a worker notices at its next task). Without this an
    orphaned worker can keep its memory for minutes."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker must not run the parent's handler
    prctl = libc_function("prctl")
    if prctl is not None:
        prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    if os.getppid() != parent:   # the parent died before the request took effect
        os._exit(1)


def spawn_tied(cmd: list[str], **popen_kw):
    """``subprocess.Popen(cmd)`` for a server this process runs on the user's behalf (the
    workshop app): on Linux the kernel sends it SIGTERM the moment this process dies, by any
    signal, SIGKILL included, so a killed command never leaves a server answering behind it.
    The child keeps its default signal handling (it is another program, with its own
    shutdown); only the death signal is added, between fork and exec."""
    import signal
    import subprocess

    # libc's prctl is loaded here in the parent: a child between fork and exec must not import or
    # load anything (another thread may hold the import lock)
    prctl, parent = libc_function("prctl"), os.getpid()

    def tie() -> None:
        if prctl is not None:
            prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG: survives exec
        if os.getppid() != parent:     # the parent died before the request took effect
            os._exit(1)

    return subprocess.Popen(cmd, preexec_fn=tie if prctl is not None else None, **popen_kw)


class SerialExecutor:
    name = "serial"
    workers = 1

    def run(self, fn: Callable, tasks: Iterable) -> Iterator:
        for task in tasks:
            yield fn(task)

    def close(self) -> None:
        pass


class PoolExecutor:
    """A local process pool; at most ``2 x workers`` tasks in flight so results stream back
    and a long sweep does not queue everything up front."""
    name = "processes"

    def __init__(self, workers: int | None = None):
        self.workers = workers or _cores()
        # fork is cheapest on Linux; workers need nothing from the parent but the task
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        self.pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context(method),
                                        initializer=_die_with_parent, initargs=(os.getpid(),))

    def run(self, fn, tasks):
        pending, it = set(), iter(tasks)
        for task in it:
            pending.add(self.pool.submit(fn, task))
            if len(pending) >= 2 * self.workers:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(self.pool.submit(fn, nxt))

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Dask distributed: ``local`` starts a LocalCluster on loopback, else a scheduler address."""
    name = "dask"

    def __init__(self, address: str, workers: int | None = None):
        try:
            from dask.distributed import Client
        except ImportError:
            raise ExecutorError("--dask needs Dask: pip install '.[dask]' (or pip install 'dask[distributed]')") from None
        self.cluster = self.scratch = None
        if address == "local":
            self.client = self._local(Client, workers or _cores())
        else:
            self.client = _connect(Client, address)
            _need_workers(self.client, address)
        self.workers = max(len(self.client.scheduler_info().get("workers", {})), 1)

    def _local(self, client_cls, n: int):
        """A LocalCluster of ``n`` worker processes whose scratch space (``dask-scratch-space``,
        lock files included) is a temporary folder of ours, removed on ``close()``: left to
        itself Dask keeps one in the system's temporary folder after every run."""
        import tempfile

        import dask
        from dask.distributed import LocalCluster

        self.scratch = tempfile.TemporaryDirectory(prefix="triage-sim-dask-", ignore_cleanup_errors=True)
        try:
            with dask.config.set({**local_cluster_config(), "temporary-directory": self.scratch.name}):
                self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                            dashboard_address=":0", local_directory=self.scratch.name)
            return client_cls(self.cluster)
        except BaseException:
            self.close()
            raise

    def run(self, fn, tasks):
        from dask.distributed import as_completed

        futures = [self.client.submit(fn, t, pure=False) for t in tasks]
        for fut in as_completed(futures):
            yield fut.result()
            fut.release()

    def close(self) -> None:
        if getattr(self, "client", None) is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        if self.scratch is not None:
            self.scratch.cleanup()
            self.scratch = None


def local_cluster_config() -> dict:
    """Dask settings for a local cluster that runs replications.

    Forked workers start in ~0.2 s instead of ~1.3 s for spawned ones that import everything
    again. A worker runs our task in one thread and its event loop in another; the loop's
    housekeeping (a stack sample every 10 ms for the profiler, a tick every 20 ms, a memory
    check every 100 ms, system statistics every 0.5 s) takes the GIL from the simulation.
    Replications are seconds long, so slower housekeeping loses nothing: measured over 10
    interleaved runs of 8 replications, Dask's wall went from +15% to +6% of the pool's."""
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    return {"distributed.worker.multiprocessing-method": method,
            "distributed.worker.profile.enabled": False,
            "distributed.admin.tick.interval": "1s",
            "distributed.worker.memory.monitor-interval": "1s",
            "distributed.admin.system-monitor.interval": "5s"}


CONNECT_SECONDS = 5.0
WORKER_SECONDS = 10.0
# what a scheduler address is not: Dask's default ports, for the message that says so
SCHEDULER_HINT = "a Dask scheduler listens on tcp://HOST:8786 by default; :8787 is its dashboard, a web page"


def _connect(client_cls, address: str):
    """A client of the scheduler at ``address`` ('tcp://HOST:PORT' or 'HOST:PORT'), or a clear
    error within a few seconds when the address is malformed, nothing answers there, or what
    answers is not a Dask scheduler (``_handshake`` first: the client's own timeout does not
    cover that)."""
    import re

    if not re.fullmatch(r"(tcp|tls)://[^\s/:]+:\d{1,5}|[^\s/:]+:\d{1,5}", address):
        raise ExecutorError(f"--dask {address}: expected 'local' or a scheduler address tcp://HOST:PORT")
    _handshake(address, CONNECT_SECONDS)
    try:
        return client_cls(address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(f"--dask {address}: no Dask scheduler answered within {CONNECT_SECONDS:g} s "
                            f"({type(exc).__name__}); start one (dask scheduler) or use --dask local") from None


def _handshake(address: str, seconds: float) -> None:
    """One Dask handshake with ``address``, bounded as a whole by the clock, its failures told
    apart. Why: ``Client(timeout=...)`` bounds the TCP connect, not the handshake after it, so a
    port that accepts and never answers held the command for minutes; and a port speaking
    another protocol (a web server) had its first 8 bytes read as a frame length, an exabyte
    allocation and a traceback. A real scheduler answers at once; this costs it one connection."""
    import asyncio

    from distributed.comm import connect
    from distributed.comm.core import CommClosedError
    from distributed.security import Security

    async def once():
        # the connect's own retries end first (a refused connect: OSError), the clock on the
        # whole handshake last (a silent peer: TimeoutError); TLS settings as the Client's
        comm = await asyncio.wait_for(connect(address, timeout=0.8 * seconds,
                                              **Security().get_connection_args("client")), seconds)
        await comm.close()

    where = f"--dask {address}"
    try:
        asyncio.run(once())
    except asyncio.TimeoutError:
        raise ExecutorError(f"{where}: the port accepted the connection but gave no Dask handshake within "
                            f"{seconds:g} s: not a Dask scheduler ({SCHEDULER_HINT}); "
                            "check the address or use --dask local") from None
    except CommClosedError:
        raise ExecutorError(f"{where}: the port accepted the connection and closed it without a Dask handshake: "
                            f"not a Dask scheduler ({SCHEDULER_HINT}); check the address or use --dask local"
                            ) from None
    except OSError as exc:
        raise ExecutorError(f"{where}: no Dask scheduler answered within {seconds:g} s ({type(exc).__name__}); "
                            "start one (dask scheduler) or use --dask local") from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - MemoryError, struct.error, msgpack's: another protocol
        if isinstance(exc, TypeError) and address.startswith("tls://"):   # no ssl context configured
            raise ExecutorError(f"{where}: tls:// needs Dask's TLS settings (certificates: distributed.comm.tls in "
                                "Dask's configuration); use tcp://HOST:PORT or --dask local") from None
        raise ExecutorError(f"{where}: what answers there speaks another protocol (a web server?): not a Dask "
                            f"scheduler ({SCHEDULER_HINT}); check the address or use --dask local") from None


def _need_workers(client, address: str, seconds: float = WORKER_SECONDS) -> None:
    """At least one worker on the scheduler within ``seconds``: with none, the replications
    would wait for ever without a word."""
    try:
        client.wait_for_workers(1, timeout=seconds)
    except (TimeoutError, OSError):
        client.close()
        raise ExecutorError(f"--dask {address}: the scheduler has no workers (none joined within {seconds:g} s); "
                            f"start some (dask worker {address}) or use --dask local") from None


def make_executor(jobs: int | None = None, dask: str | None = None):
    if dask:
        return DaskExecutor(dask, jobs)
    if jobs == 1:
        return SerialExecutor()
    return PoolExecutor(jobs)


class _Numbered:
    """``fn`` applied to an (index, task) pair, returning (index, result): picklable when ``fn`` is."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, item):
        i, task = item
        return i, self.fn(task)


def map_ordered(fn: Callable, tasks: Iterable, jobs: int | None = None) -> list:
    """``fn`` over ``tasks`` in a local process pool of up to ``jobs`` workers (default one per
    core; never more than there are tasks, and in this process when that is one), results in
    the tasks' order: for callers that zip results with their tasks."""
    tasks = list(tasks)
    workers = min(jobs or _cores(), len(tasks))
    executor = SerialExecutor() if workers <= 1 else PoolExecutor(workers)
    try:
        done = dict(executor.run(_Numbered(fn), enumerate(tasks)))
    finally:
        executor.close()
    return [done[i] for i in range(len(tasks))]


def _serve(conn, parent: int, fn: Callable, prepare: Callable | None) -> None:
    _die_with_parent(parent)   # ignores Ctrl-C (the parent's to handle), ends with the parent
    if prepare is not None:
        prepare()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            conn.send(("ok", fn(*job)))
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
            try:
                conn.send(("error", exc))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


class ForkedService:
    """One process forked now and kept: ``prepare()`` runs in it at once (slow imports, caches)
    while this process gets on with its work; each ``call(*args)`` then runs ``fn(*args)`` there
    and returns its result or raises its exception. Where it cannot be used (no fork, called from
    a daemon, the process died) the call runs here instead: the same result either way. A service
    never called is ended at once on ``close()`` (nothing to wait for)."""

    def __init__(self, fn: Callable, prepare: Callable | None = None, enabled: bool = True,
                 name: str = "triage-sim-service"):
        import signal

        self.fn = fn
        self.proc = self.conn = None
        self.used = False
        if enabled and "fork" in mp.get_all_start_methods() and not mp.current_process().daemon:
            ctx = mp.get_context("fork")
            self.conn, child = ctx.Pipe()
            self.proc = ctx.Process(target=_serve, args=(child, os.getpid(), fn, prepare), name=name)
            # the child is forked with the default SIGTERM action, not the CLI's handler: a
            # terminate() that lands before _serve has started (bad input found at once) then ends
            # it quietly instead of printing "Exception ignored in _after_fork" with a traceback
            old = signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                self.proc.start()
            finally:
                signal.signal(signal.SIGTERM, old)
            child.close()

    def __enter__(self):
        return self

    def call(self, *args):
        if self.proc is not None and self.proc.is_alive():
            self.used = True
            try:
                self.conn.send(args)
                status, value = self.conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                status = None   # it died: run here
            if status == "ok":
                return value
            if status == "error":
                raise value
        return self.fn(*args)

    def close(self) -> None:
        if self.proc is None:
            return
        if not self.used:   # never called (bad input, an interruption): no need to wait for it
            self.proc.terminate()
        try:
            self.conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        self.conn.close()
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=2)
        self.proc = None

    def __exit__(self, *exc) -> None:
        self.close()
