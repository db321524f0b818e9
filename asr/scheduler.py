"""One decode scheduler per process, shared by every speech stream: finals first, partials only on spare capacity.

Finals (end of an utterance) and speculative finals (started early in a pause) queue in order; a partial
(interim re-decode of a growing utterance) is only started when a worker would still be left idle for a
final, at most one per stream, the newest audio replacing a queued older one. The partial interval that
streams use stretches with the measured load so interim results never make the service fall behind.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Priority(IntEnum):
    FINAL = 0  # the endpoint fired: someone is waiting for this text
    SPECULATIVE = 1  # a pause began: probably the final, started early
    PARTIAL = 2  # interim text while the patient speaks


class PartialDropped(Exception):
    """A partial was refused or replaced (a final is pending, the decoders are busy, or newer audio came)."""


@dataclass(eq=False)
class DecodeJob:
    priority: Priority
    stream: Any
    args: tuple[Any, ...]
    seq: int
    future: Future[Any] = field(default_factory=Future)
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None

    @property
    def running(self) -> bool:
        return self.started is not None and not self.future.done()


class DecodeScheduler:
    """Worker threads running ``decode(*args)``; the decoder must release the GIL (CTranslate2 does)."""

    def __init__(self, decode: Callable[..., Any], workers: int = 2, name: str = "decode") -> None:
        self._decode = decode
        self.workers = max(1, workers)
        self._cv = threading.Condition()
        self._seq = itertools.count()
        self._finals: list[DecodeJob] = []  # FINAL and SPECULATIVE, picked by (priority, seq)
        self._partials: dict[Any, DecodeJob] = {}  # queued partial per stream (newest audio wins)
        self._running: set[DecodeJob] = set()
        self._last_partial: dict[Any, float] = {}  # stream → when its last partial started (fairness)
        self._last_request: dict[Any, float] = {}  # stream → when it last asked for a partial (load)
        self._partial_cost = 0.25  # moving average of a partial decode's wall time, seconds
        self._closed = False
        self.stats = {"finals": 0, "speculative": 0, "partials": 0, "partials_dropped": 0, "final_wait_max": 0.0}
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
                         for i in range(self.workers)]
        for t in self._threads:
            t.start()

    # ---- submitting (any thread) -------------------------------------------------------------------
    def submit(self, priority: Priority, stream: Any, *args: Any) -> DecodeJob:
        """Queue a final or speculative final (always accepted) or a partial (may resolve PartialDropped)."""
        job = DecodeJob(Priority(priority), stream, args, next(self._seq))
        with self._cv:
            if self._closed:
                job.future.set_exception(RuntimeError("decoder closed"))
                return job
            if job.priority is Priority.PARTIAL:
                self._last_request[stream] = job.submitted
                if len(self._last_request) > 64:  # streams that ended without ``forget``
                    for s in [s for s, t in self._last_request.items() if job.submitted - t > 60]:
                        self._last_request.pop(s, None)
                        self._last_partial.pop(s, None)
                if any(j.stream == stream and j.priority is Priority.PARTIAL for j in self._running):
                    _drop(job)  # at most one partial in flight per stream
                    self.stats["partials_dropped"] += 1
                    return job
                old = self._partials.pop(stream, None)
                if old is not None:
                    _drop(old)
                    self.stats["partials_dropped"] += 1
                self._partials[stream] = job
            else:
                self._drop_partial_locked(stream)  # its utterance is over: interim text is stale
                self._finals.append(job)
            self._cv.notify()
        return job

    def promote(self, job: DecodeJob) -> None:
        """A speculative final became the real one (the endpoint fired): move it ahead of speculation."""
        with self._cv:
            if job.priority is Priority.SPECULATIVE:
                job.priority = Priority.FINAL
                job.submitted = time.monotonic()

    def cancel(self, job: DecodeJob | None) -> None:
        """Forget a queued job (a stale speculative final); a running decode finishes and is discarded."""
        if job is None:
            return
        with self._cv:
            if job in self._finals:
                self._finals.remove(job)
            if self._partials.get(job.stream) is job:
                del self._partials[job.stream]
        job.future.cancel()

    def drop_partials(self, stream: Any) -> None:
        with self._cv:
            self._drop_partial_locked(stream)

    def forget(self, stream: Any) -> None:
        """The stream closed: drop its queued work and its bookkeeping."""
        with self._cv:
            self._drop_partial_locked(stream)
            for job in [j for j in self._finals if j.stream == stream]:
                self._finals.remove(job)
                job.future.cancel()
            self._last_partial.pop(stream, None)
            self._last_request.pop(stream, None)

    def _drop_partial_locked(self, stream: Any) -> None:
        old = self._partials.pop(stream, None)
        if old is not None:
            _drop(old)
            self.stats["partials_dropped"] += 1

    # ---- load ------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        with self._cv:
            return bool(self._running or self._finals)

    @property
    def pending(self) -> int:
        with self._cv:
            return len(self._running) + len(self._finals) + len(self._partials)

    def partial_interval(self, base_s: float, active_streams: int | None = None) -> float:
        """How often one stream may ask for a partial: the base, stretched when partials can't keep up.

        One worker slot serves partials; each costs about ``_partial_cost`` seconds, so N speaking
        streams can each get one every N × cost seconds at best (plus headroom for finals).
        """
        slots = max(1, self.workers - 1)
        with self._cv:
            finals_waiting = len(self._finals)
            if active_streams is None:
                now = time.monotonic()
                active_streams = max(1, sum(1 for t in self._last_request.values() if now - t < 3.0))
        need = active_streams * self._partial_cost * 1.25 / slots
        return max(base_s, need) * (1.5 if finals_waiting else 1.0)

    # ---- workers -----------------------------------------------------------------------------------
    def _can_start_partial(self) -> bool:
        idle = self.workers - len(self._running)
        if self.workers == 1:
            return idle == 1  # a single worker can't keep a spare; partials are short (greedy, trimmed window)
        partials_running = sum(1 for j in self._running if j.priority is Priority.PARTIAL)
        return idle >= 2 and partials_running < self.workers - 1  # leave a worker free for the next final

    def _next_locked(self) -> DecodeJob | None:
        if self._finals:
            job = min(self._finals, key=lambda j: (j.priority, j.seq))
            self._finals.remove(job)
            return job
        if self._partials and self._can_start_partial():
            stream = min(self._partials, key=lambda s: self._last_partial.get(s, 0.0))  # longest waiting first
            job = self._partials.pop(stream)
            self._last_partial[stream] = time.monotonic()
            return job
        return None

    def _work(self) -> None:
        while True:
            with self._cv:
                job = None
                while not self._closed:
                    job = self._next_locked()
                    if job is not None and job.future.set_running_or_notify_cancel():
                        break
                    if job is None:
                        self._cv.wait()
                if self._closed:
                    return
                assert job is not None
                job.started = time.monotonic()
                self._running.add(job)
                if job.priority is not Priority.PARTIAL:
                    key = "finals" if job.priority is Priority.FINAL else "speculative"
                    self.stats[key] += 1
                    if job.priority is Priority.FINAL:
                        self.stats["final_wait_max"] = max(self.stats["final_wait_max"], job.started - job.submitted)
                else:
                    self.stats["partials"] += 1
            try:
                result = self._decode(*job.args)
            except BaseException as exc:  # noqa: BLE001 - handed to whoever awaits the job
                job.future.set_exception(exc)
            else:
                job.future.set_result(result)
            finally:
                with self._cv:
                    self._running.discard(job)
                    if job.priority is Priority.PARTIAL:
                        dt = time.monotonic() - job.started
                        self._partial_cost = 0.8 * self._partial_cost + 0.2 * dt
                    self._cv.notify_all()

    def close(self) -> None:
        with self._cv:
            self._closed = True
            for job in self._finals + list(self._partials.values()):
                job.future.cancel()
            self._finals.clear()
            self._partials.clear()
            self._cv.notify_all()
        for t in self._threads:
            t.join(timeout=30)


def _drop(job: DecodeJob) -> None:
    if job.future.set_running_or_notify_cancel():
        job.future.set_exception(PartialDropped())


__all__ = ["CancelledError", "DecodeJob", "DecodeScheduler", "PartialDropped", "Priority"]
