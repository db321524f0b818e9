"""The shared decode scheduler's policy: finals never wait behind partials, one partial per stream, the
newest audio wins, stale work is dropped, and the partial interval stretches with load.

The decode function here is a gate the test opens, so the order of work is observed exactly; the real
recogniser runs the same scheduler in tests/asr/test_asr_stream.py and benchmarks/asr_stream.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from asr.scheduler import DecodeScheduler, PartialDropped, Priority

pytestmark = pytest.mark.unit


class Gate:
    """decode(name) blocks until released; records the order in which decodes started."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.events: dict[str, threading.Event] = {}
        self.lock = threading.Lock()

    def __call__(self, name: str) -> str:
        with self.lock:
            self.started.append(name)
            ev = self.events.setdefault(name, threading.Event())
        assert ev.wait(10), f"{name} never released"
        return name

    def release(self, name: str) -> None:
        with self.lock:
            self.events.setdefault(name, threading.Event()).set()

    def wait_started(self, name: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while name not in self.started:
            assert time.monotonic() < deadline, f"{name} did not start (started: {self.started})"
            time.sleep(0.005)


@pytest.fixture
def gate():
    g = Gate()
    yield g
    for name in list(g.events) + ["a1", "a2", "b1", "c", "f", "s", "p"]:
        g.release(name)


def test_a_worker_stays_free_for_finals_while_a_partial_runs(gate):
    sched = DecodeScheduler(gate, workers=2)
    a = sched.submit(Priority.PARTIAL, "A", "a1")
    gate.wait_started("a1")
    b = sched.submit(Priority.PARTIAL, "B", "b1")
    time.sleep(0.1)
    assert gate.started == ["a1"]  # B's partial waits: the second worker is kept for a final
    f = sched.submit(Priority.FINAL, "C", "c")
    gate.wait_started("c")  # the final starts at once, with A's partial still running
    gate.release("c")
    assert f.future.result(5) == "c"
    gate.release("a1")
    gate.wait_started("b1")
    gate.release("b1")
    assert a.future.result(5) == "a1" and b.future.result(5) == "b1"
    assert sched.stats["final_wait_max"] < 0.1
    sched.close()


def test_finals_go_before_queued_partials_and_real_finals_before_speculation(gate):
    sched = DecodeScheduler(gate, workers=1)
    sched.submit(Priority.FINAL, "X", "f")
    gate.wait_started("f")
    p = sched.submit(Priority.PARTIAL, "A", "p")
    s = sched.submit(Priority.SPECULATIVE, "B", "s")
    c = sched.submit(Priority.FINAL, "C", "c")
    gate.release("f")
    for name in ("c", "s", "p"):
        gate.wait_started(name)
        gate.release(name)
    assert gate.started == ["f", "c", "s", "p"]
    assert p.future.result(5) == "p" and s.future.result(5) == "s" and c.future.result(5) == "c"
    sched.close()


def test_newest_partial_replaces_a_queued_one_and_a_final_drops_the_streams_partial(gate):
    sched = DecodeScheduler(gate, workers=1)
    sched.submit(Priority.FINAL, "X", "f")
    gate.wait_started("f")
    old = sched.submit(Priority.PARTIAL, "A", "a1")
    new = sched.submit(Priority.PARTIAL, "A", "a2")
    with pytest.raises(PartialDropped):
        old.future.result(1)
    other = sched.submit(Priority.PARTIAL, "B", "b1")
    sched.submit(Priority.FINAL, "B", "c")  # B's utterance ended: its interim text is stale
    with pytest.raises(PartialDropped):
        other.future.result(1)
    for name in ("f", "c", "a2"):
        gate.release(name)
    assert new.future.result(5) == "a2"
    assert "a1" not in gate.started and "b1" not in gate.started
    sched.close()


def test_one_partial_in_flight_per_stream(gate):
    sched = DecodeScheduler(gate, workers=2)
    sched.submit(Priority.PARTIAL, "A", "a1")
    gate.wait_started("a1")
    again = sched.submit(Priority.PARTIAL, "A", "a2")
    with pytest.raises(PartialDropped):
        again.future.result(1)
    gate.release("a1")
    sched.close()


def test_a_cancelled_speculative_final_never_runs_and_promotion_moves_it_ahead(gate):
    sched = DecodeScheduler(gate, workers=1)
    sched.submit(Priority.FINAL, "X", "f")
    gate.wait_started("f")
    stale = sched.submit(Priority.SPECULATIVE, "A", "a1")
    spec = sched.submit(Priority.SPECULATIVE, "B", "b1")
    final = sched.submit(Priority.FINAL, "C", "c")
    sched.cancel(stale)  # the patient went on talking
    sched.promote(spec)  # B's endpoint fired: its speculative decode is now the final
    gate.release("f")
    for name in ("b1", "c"):
        gate.wait_started(name)
        gate.release(name)
    assert gate.started == ["f", "b1", "c"]
    assert spec.future.result(5) == "b1" and final.future.result(5) == "c" and stale.future.cancelled()
    sched.close()


def test_partial_interval_stretches_with_speaking_streams():
    sched = DecodeScheduler(lambda name: time.sleep(0.05) or name, workers=2)
    base = sched.partial_interval(0.4)
    for i in range(8):
        sched.submit(Priority.PARTIAL, f"S{i}", "x").future.result(5)
    assert base == pytest.approx(0.4)
    assert sched.partial_interval(0.4) > base  # eight streams asking: each waits longer between partials
    sched.forget("S0")
    sched.close()
