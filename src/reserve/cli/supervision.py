"""What ``reserve serve`` keeps running: the embedded PostgreSQL it started, and its workers.

- ``DatabaseWatch`` looks at the embedded server's ``postmaster.pid`` five times a second
  and, when the server has gone (a crash, a kill), starts it again the way any command does;
  PostgreSQL recovers from the crash by itself.
- ``Workers`` runs the worker processes and starts another for each that stops, after a
  pause that doubles while they keep stopping young, and gives up only when none can start:
  a worker says when it serves.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from pathlib import Path

from reserve import metrics
from reserve.db import embedded
from reserve.domain.errors import ConfigurationError

log = logging.getLogger("reserve.serve")

WATCH_SECONDS = 0.2  # how often the watch looks at the embedded server
FIRST_PAUSE_SECONDS = 0.5  # before starting a stopped server or worker again; doubles...
LONGEST_PAUSE_SECONDS = 30.0  # ...up to this, while they keep failing
SETTLED_SECONDS = 10.0  # a worker that served this long did well: the pauses begin again
GIVE_UP_AFTER = 3  # workers in a row stopped before serving, or one for each if there are more
STOP_WATCH_SECONDS = 15.0  # the longest serve's stop waits for a start under way
STOP_WORKERS_SECONDS = 20.0  # beyond the drain (uvicorn's graceful shutdown) and the app's end


class DatabaseWatch:
    """Starts the embedded server of ``data_dir`` again whenever it stops, from a thread, until
    ``stop`` or ``leaving()`` (serve is stopping: whoever stops the server then, a service
    manager signalling every process of the service, means it). One line when it goes, one
    when it is back."""

    def __init__(self, data_dir: Path, leaving: Callable[[], bool]) -> None:
        self._data_dir = data_dir
        self._leaving = leaving
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="database-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (after the start under way, if any, has finished, or at most
        ``STOP_WATCH_SECONDS``: a start that hangs must not hold serve's stop)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(STOP_WATCH_SECONDS)

    def _watch(self) -> None:
        pid = embedded.postmaster_pid(self._data_dir)
        while not self._stopping.wait(WATCH_SECONDS):
            if self._leaving():
                continue
            try:
                if embedded.is_running(self._data_dir):
                    pid = embedded.postmaster_pid(self._data_dir) or pid  # another may start it
                    continue
            except OSError as error:  # the data directory unreadable: say so, look again
                log.error("cannot tell whether the embedded PostgreSQL runs: %s", error)
                self._stopping.wait(LONGEST_PAUSE_SECONDS)
                continue
            lost = time.monotonic()
            log.warning("the embedded PostgreSQL (pid %s) has stopped; starting it again", pid)
            if self._start_again():
                pid = embedded.postmaster_pid(self._data_dir)
                log.info(
                    "the embedded PostgreSQL is running again (pid %s), %.1f s after it stopped",
                    pid,
                    time.monotonic() - lost,
                )

    def _start_again(self) -> bool:
        """Start the server, trying again after longer and longer pauses; False if told to
        stop first."""
        pause = FIRST_PAUSE_SECONDS
        while not (self._stopping.is_set() or self._leaving()):
            try:
                embedded.start_again(self._data_dir)
            except (ConfigurationError, OSError) as error:
                log.error("%s; trying again in %.1f s", error, pause)
            else:
                return True
            if self._stopping.wait(pause):
                break
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
        return False


@dataclass
class _Worker:
    """A worker process, when it was started, its word that it serves (an event it sets),
    and when that was first seen."""

    process: BaseProcess
    started: float
    serving: Event
    served: float | None = None

    def settled(self, now: float) -> bool:
        return self.served is not None and now - self.served >= SETTLED_SECONDS


@dataclass
class _Slot:
    """One worker's place: the worker in it, or the time to start the next."""

    worker: _Worker
    pause: float = FIRST_PAUSE_SECONDS  # before the next start, should this one stop unsettled
    restart_at: float | None = None  # set once the worker has stopped


class Workers:
    """``count`` worker processes of ``target(*args, serving)``, each replaced when it stops.
    ``serving``, an event, is set by the worker once it serves."""

    def __init__(
        self,
        context: SpawnContext,
        target: Callable[..., None],
        args: tuple[object, ...],
        count: int,
    ) -> None:
        self._context = context
        self._target = target
        self._args = args
        self._count = count
        self._slots: list[_Slot] = []
        self._failed = 0  # workers in a row that stopped before they served

    def run(self, stopping: threading.Event) -> None:
        """Until ``stopping`` is set (or Ctrl+C); then stop them all. ``ConfigurationError``
        when no worker can start: none serves, and the last few (as many as there are
        workers, three at least) all stopped before they served."""
        try:
            self._slots = [_Slot(self._start()) for _ in range(self._count)]
            while not stopping.wait(WATCH_SECONDS):
                self._tend(time.monotonic())
                if self._failed >= max(GIVE_UP_AFTER, self._count) and not self.serving:
                    raise ConfigurationError(
                        f"no worker could start: the last {self._failed} stopped before "
                        "they served; see their log above"
                    )
        except KeyboardInterrupt:
            pass
        finally:
            stop_all(self.running)

    @property
    def running(self) -> list[BaseProcess]:
        return [slot.worker.process for slot in self._slots if slot.restart_at is None]

    @property
    def serving(self) -> bool:
        return any(slot.restart_at is None and slot.worker.serving.is_set() for slot in self._slots)

    def _start(self) -> _Worker:
        serving = self._context.Event()
        process = self._context.Process(
            target=self._target, args=(*self._args, serving), daemon=False
        )
        process.start()
        return _Worker(process, time.monotonic(), serving)

    def _tend(self, now: float) -> None:
        for slot in self._slots:
            worker = slot.worker
            if slot.restart_at is not None:
                if now >= slot.restart_at:
                    slot.worker, slot.restart_at = self._start(), None
                continue
            if worker.process.is_alive():
                if worker.served is None and worker.serving.is_set():
                    worker.served = now
                    self._failed = 0  # a worker can start
                if worker.settled(now):
                    slot.pause = FIRST_PAUSE_SECONDS
                continue
            slot.restart_at = now + slot.pause
            if worker.process.pid is not None:
                metrics.worker_stopped(worker.process.pid)
            log.warning(
                "worker %s stopped (%s) %.1f s after it started%s; starting another in %.1f s",
                worker.process.pid,
                _how(worker.process.exitcode),
                now - worker.started,
                "" if worker.serving.is_set() else ", before it served",
                slot.pause,
            )
            if not worker.serving.is_set():
                self._failed += 1
            if not worker.settled(now):
                slot.pause = min(slot.pause * 2, LONGEST_PAUSE_SECONDS)


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:  # a signal Python has no name for (a real-time one)
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


def stop_all(processes: list[BaseProcess]) -> None:
    """SIGTERM to every worker (uvicorn then finishes what it is doing; one that had it
    already carries on), then wait; a worker still there after the drain and more, or at a
    second Ctrl+C, is killed."""
    for process in processes:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WORKERS_SECONDS
    try:
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
    except KeyboardInterrupt:
        pass
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join()
