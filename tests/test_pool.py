"""The ordered, bounded, streaming map: order, every item once, a window, laziness, shutdown."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fetchpool.core.pool import OrderedMap, ordered_map

from .waiting import wait_until


class Probe:
    """Wraps a function to record calls and the most running at once; each call sleeps its
    item's delay, or is held by ``hold`` while it counts as running."""

    def __init__(
        self,
        delays: dict[int, float] | None = None,
        hold: Callable[[int], object] | None = None,
    ) -> None:
        self.delays = delays or {}
        self.hold = hold
        self.lock = threading.Lock()
        self.calls: list[int] = []
        self.running = 0
        self.max_running = 0
        self.finished: list[int] = []

    def __call__(self, item: int) -> int:
        with self.lock:
            self.calls.append(item)
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            if self.hold is not None:
                self.hold(item)
            time.sleep(self.delays.get(item, 0.0))
            return item * 10
        finally:
            with self.lock:
                self.running -= 1
                self.finished.append(item)


class CountingInput:
    """An input iterable that counts how many items have been pulled from it."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.pulled = 0

    def __iter__(self) -> Iterator[int]:
        for item in range(self.count):
            self.pulled += 1
            yield item


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        yield pool


def test_results_come_out_in_input_order_when_later_items_finish_first(
    executor: ThreadPoolExecutor,
) -> None:
    # Each item waits for the one after it to be done, so the work finishes in reverse.
    done = [threading.Event() for _ in range(5)]
    probe = Probe()

    def fn(item: int) -> int:
        if item < 4:
            done[item + 1].wait(10)
        try:
            return probe(item)
        finally:
            done[item].set()

    assert list(OrderedMap(executor, fn, range(5), window=5)) == [0, 10, 20, 30, 40]
    assert probe.finished == [4, 3, 2, 1, 0]


def test_every_item_is_processed_exactly_once(executor: ThreadPoolExecutor) -> None:
    probe = Probe()
    results = list(OrderedMap(executor, probe, range(300), window=7))
    assert results == [item * 10 for item in range(300)]
    assert sorted(probe.calls) == list(range(300))


def test_duplicate_items_each_give_a_result(executor: ThreadPoolExecutor) -> None:
    assert list(OrderedMap(executor, lambda x: x, [3, 3, 1, 3], window=2)) == [3, 3, 1, 3]


def test_empty_input_gives_no_results(executor: ThreadPoolExecutor) -> None:
    assert list(OrderedMap(executor, lambda x: x, [], window=3)) == []


@pytest.mark.parametrize("window", [1, 2, 3, 5])
def test_work_running_at_once_never_exceeds_the_window(
    executor: ThreadPoolExecutor, window: int
) -> None:
    # The first `window` items are held until they all run at once.
    together = threading.Barrier(window)
    probe = Probe(
        {item: 0.001 for item in range(24)}, hold=lambda item: item < window and together.wait(10)
    )
    assert list(OrderedMap(executor, probe, range(24), window=window)) == [
        item * 10 for item in range(24)
    ]
    # Eight workers are free, so only the window can hold the count down.
    assert probe.max_running == window


def test_a_stalled_head_does_not_stop_the_work_behind_it(executor: ThreadPoolExecutor) -> None:
    head = threading.Event()
    behind_done = threading.Event()
    lock = threading.Lock()
    finished = 0

    def fn(item: int) -> int:
        nonlocal finished
        if item == 0:
            head.wait(10)
            return item
        with lock:
            finished += 1
            if finished == 99:
                behind_done.set()
        return item

    mapped = OrderedMap(executor, fn, range(100), window=3)
    # Every later item is done while the first one still runs, though the window is 3.
    assert behind_done.wait(10)
    assert wait_until(lambda: mapped.state().waiting == 99)
    state = mapped.state()
    assert (state.running, state.head) == (1, 0)
    head.set()
    assert list(mapped) == list(range(100))


def test_a_stall_behind_a_head_the_consumer_took_late_does_not_stop_the_work(
    executor: ThreadPoolExecutor,
) -> None:
    stalled, behind_done = threading.Event(), threading.Event()
    lock = threading.Lock()
    finished = 0

    def fn(item: int) -> int:
        nonlocal finished
        if item == 1:
            stalled.wait(20)
        elif item > 1:
            with lock:
                finished += 1
                if finished == 198:
                    behind_done.set()
        return item

    mapped = OrderedMap(executor, fn, range(200), window=4, memory=10)
    rest: list[int] = []
    consumer = threading.Thread(target=lambda: rest.extend(mapped), daemon=True)
    try:
        # The consumer is behind for a while: the first result and ten more wait for it.
        assert wait_until(lambda: mapped.ready() and mapped.state().waiting >= 11)
        assert next(mapped) == 0
        # It catches up, and then waits for item 1 alone: the items behind it go on.
        consumer.start()
        assert behind_done.wait(10), "the work stopped while the output waited for item 1"
    finally:
        stalled.set()
    consumer.join(10)
    assert rest == list(range(1, 200))


def held_at(gate: threading.Event, stalled: int) -> Callable[[int], int]:
    """A function that returns its item, but holds item ``stalled`` until ``gate`` is set."""

    def fn(item: int) -> int:
        if item == stalled:
            gate.wait(10)
        return item

    return fn


def test_results_beyond_the_memory_budget_spill_and_come_back_in_order(
    executor: ThreadPoolExecutor,
) -> None:
    gate = threading.Event()
    mapped = OrderedMap(executor, held_at(gate, 0), range(500), window=4, memory=10)
    assert wait_until(lambda: mapped.state().waiting == 499)
    assert mapped.state().spilled == 499 - 10
    gate.set()
    assert list(mapped) == list(range(500))
    assert mapped.state().waiting == 0


def test_finished_includes_results_that_spilled() -> None:
    gate = threading.Event()
    with ThreadPoolExecutor(max_workers=2) as pool:
        mapped = OrderedMap(pool, held_at(gate, 1), range(40), window=2, memory=3)
        assert next(mapped) == 0
        assert wait_until(lambda: mapped.state().waiting == 38)
        mapped.close()
        assert mapped.finished() == list(range(2, 40))
        gate.set()


def test_input_is_pulled_only_as_work_finishes(executor: ThreadPoolExecutor) -> None:
    gate = threading.Event()
    source = CountingInput(1000)
    mapped = OrderedMap(executor, lambda x: gate.wait(10) and x, source, window=4)
    assert wait_until(lambda: mapped.state().running == 4)
    # The feeder holds at most one item beyond the window while it waits for room.
    assert source.pulled <= 5
    gate.set()
    assert list(mapped) == list(range(1000))


def test_in_flight_reports_read_and_not_yielded(executor: ThreadPoolExecutor) -> None:
    gate = threading.Event()
    mapped = OrderedMap(executor, lambda x: gate.wait(10) and x, range(10), window=3)
    assert wait_until(lambda: mapped.in_flight == 3)
    gate.set()
    assert list(mapped) == list(range(10))
    assert mapped.in_flight == 0
    assert mapped.window == 3


def test_state_names_the_item_the_output_waits_for(executor: ThreadPoolExecutor) -> None:
    gate = threading.Event()
    mapped = OrderedMap(executor, lambda x: gate.wait(10) and x, ["a", "b"], window=2)
    assert wait_until(lambda: mapped.state().running == 2)
    state = mapped.state()
    assert state.head == "a"
    assert state.head_started is not None
    assert state.head_started <= time.monotonic()
    gate.set()
    assert list(mapped) == ["a", "b"]
    assert mapped.state().head is None


def test_a_result_is_yielded_while_the_next_input_is_still_on_its_way(
    executor: ThreadPoolExecutor,
) -> None:
    more, gave_up = threading.Event(), threading.Event()

    def slow_input() -> Iterator[int]:
        yield 1
        # A producer that has not written its next line yet, until the first result is out.
        if not more.wait(10):
            gave_up.set()
        yield 2

    mapped = OrderedMap(executor, lambda x: x, slow_input(), window=4)
    assert next(mapped) == 1
    assert not gave_up.is_set(), "the first result waited for the next input"
    more.set()
    assert list(mapped) == [2]


def test_an_exception_in_fn_is_raised_at_its_place_in_the_order(
    executor: ThreadPoolExecutor,
) -> None:
    made: list[OrderedMap[int, int]] = []

    def fn(item: int) -> int:
        if item == 3:
            raise ValueError("item 3")
        if item < 3:  # done only once item 3 has failed: its exception waits in line
            assert wait_until(lambda: bool(made) and made[0].state().waiting >= 1)
        return item

    mapped = OrderedMap(executor, fn, range(6), window=4)
    made.append(mapped)
    assert [next(mapped) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ValueError, match="item 3"):
        next(mapped)


def test_an_exception_in_the_input_is_raised_after_the_items_before_it(
    executor: ThreadPoolExecutor,
) -> None:
    def broken_input() -> Iterator[int]:
        yield from range(3)
        raise OSError("input went away")

    mapped = OrderedMap(executor, lambda x: x, broken_input(), window=8)
    assert [next(mapped) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(OSError, match="input went away"):
        next(mapped)
    with pytest.raises(StopIteration):
        next(mapped)


def test_close_cancels_what_has_not_started_and_stops_reading_input() -> None:
    gate = threading.Event()
    probe_calls: list[int] = []

    def fn(item: int) -> int:
        probe_calls.append(item)
        gate.wait(2)
        return item

    source = CountingInput(100)
    with ThreadPoolExecutor(max_workers=1) as pool:
        mapped = OrderedMap(pool, fn, source, window=5)
        assert wait_until(lambda: source.pulled >= 5)
        mapped.close()
        gate.set()
    assert probe_calls == [0]
    # Once the feeder has left, nothing more can be read: the window and the one item
    # the feeder held while it waited for room.
    mapped._feeder.join(10)
    assert not mapped._feeder.is_alive()
    assert source.pulled <= 6
    with pytest.raises(StopIteration):
        next(mapped)


def test_close_twice_is_harmless(executor: ThreadPoolExecutor) -> None:
    mapped = OrderedMap(executor, lambda x: x, range(3), window=2)
    mapped.close()
    mapped.close()
    assert list(mapped) == []


def test_finished_returns_completed_unyielded_results_in_order() -> None:
    gate = threading.Event()

    def fn(item: int) -> int:
        if item == 1:
            gate.wait(5)
        return item

    with ThreadPoolExecutor(max_workers=4) as pool:
        mapped = OrderedMap(pool, fn, range(4), window=4)
        assert next(mapped) == 0
        assert wait_until(lambda: mapped.state().waiting == 2)  # 2 and 3 finish; 1 hangs
        mapped.close()
        assert mapped.finished() == [2, 3]
        gate.set()


class Interrupted(Exception):
    pass


def signal_once_the_consumer_waits(mapped: OrderedMap[int, int], index: int) -> None:
    """SIGALRM to the main thread once it waits in ``next(mapped)`` for item ``index``
    (which it says under the map's lock, just before it sleeps): a signal that comes
    while a Ctrl-C would, not before."""

    def send() -> None:
        if wait_until(lambda: mapped._sleeping == index):
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGALRM)

    threading.Thread(target=send, daemon=True).start()


def test_results_done_while_the_consumer_was_interrupted_are_kept() -> None:
    """An interrupt while waiting on the head item leaves that item for finished()."""
    gate = threading.Event()

    def fn(item: int) -> int:
        if item == 0:
            gate.wait(5)
        return item

    def interrupt(signum, frame):
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            mapped = OrderedMap(pool, fn, range(3), window=3)
            signal_once_the_consumer_waits(mapped, 0)
            with pytest.raises(Interrupted):
                next(mapped)
            gate.set()
            assert wait_until(lambda: mapped.state().waiting == 3)
            mapped.close()
            assert mapped.finished() == [0, 1, 2]
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_an_interrupt_from_a_signal_handler_ends_the_wait_for_the_head() -> None:
    gate = threading.Event()

    def fn(item: int) -> int:
        if item == 1:
            gate.wait(5)
        return item

    previous = signal.signal(signal.SIGALRM, lambda signum, frame: mapped.interrupt())
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            mapped = OrderedMap(pool, fn, range(4), window=4)
            assert next(mapped) == 0
            assert wait_until(lambda: mapped.state().waiting == 2)  # 2 and 3 finish; 1 hangs
            signal_once_the_consumer_waits(mapped, 1)
            with pytest.raises(StopIteration):
                next(mapped)
            assert mapped.interrupted
            assert mapped.finished() == [2, 3]
            gate.set()
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_an_interrupt_between_results_ends_the_iteration_before_the_next_is_taken() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        mapped = OrderedMap(pool, lambda item: item, range(4), window=4)
        assert next(mapped) == 0
        assert wait_until(lambda: mapped.state().waiting == 3)
        mapped.interrupt()
        with pytest.raises(StopIteration):
            next(mapped)
        assert mapped.finished() == [1, 2, 3]


def test_an_interrupt_takes_no_lock_so_a_handler_cannot_deadlock_with_the_consumer() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        mapped = OrderedMap(pool, lambda item: item, range(2), window=2)
        interrupter = threading.Thread(target=mapped.interrupt)
        with mapped._lock:  # as when a signal comes while the consumer holds it
            interrupter.start()
            interrupter.join(5)
            assert not interrupter.is_alive()
        assert mapped.interrupted


def test_a_map_that_was_not_interrupted_says_so() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        mapped = OrderedMap(pool, lambda item: item, range(2), window=2)
        assert list(mapped) == [0, 1]
        assert not mapped.interrupted


def test_finished_skips_failed_and_unfinished_items() -> None:
    gate = threading.Event()

    def fn(item: int) -> int:
        if item == 0:
            gate.wait(5)
        if item == 2:
            raise ValueError
        return item

    with ThreadPoolExecutor(max_workers=4) as pool:
        mapped = OrderedMap(pool, fn, range(4), window=4)
        assert wait_until(lambda: mapped.state().waiting == 3)
        mapped.close()
        assert mapped.finished() == [1, 3]
        gate.set()


def test_a_window_below_one_is_refused(executor: ThreadPoolExecutor) -> None:
    with pytest.raises(ValueError, match="window"):
        OrderedMap(executor, lambda x: x, [1], window=0)


def test_ordered_map_is_the_functional_spelling(executor: ThreadPoolExecutor) -> None:
    assert list(ordered_map(executor, str, [1, 2, 3], 2)) == ["1", "2", "3"]


# -- properties --------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    delays=st.lists(st.sampled_from([0.0, 0.0, 0.001, 0.003]), max_size=30),
    window=st.integers(1, 6),
    workers=st.integers(1, 6),
    memory=st.integers(0, 3),
)
def test_order_once_and_window_hold_for_any_input(
    delays: list[float], window: int, workers: int, memory: int
) -> None:
    probe = Probe(dict(enumerate(delays)))
    source = CountingInput(len(delays))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        mapped = OrderedMap(pool, probe, source, window=window, memory=memory)
        results = []
        for result in mapped:
            results.append(result)
            # The head may be held in memory beyond the budget, and nothing else.
            state = mapped.state()
            assert state.waiting - state.spilled <= memory + 1
    assert results == [item * 10 for item in range(len(delays))]
    assert Counter(probe.calls) == Counter(range(len(delays)))
    assert probe.max_running <= min(window, workers)


@settings(max_examples=30, deadline=None)
@given(
    items=st.lists(st.integers(), max_size=20),
    fail_at=st.integers(0, 20),
    window=st.integers(1, 5),
)
def test_an_input_failure_keeps_everything_before_it_for_any_input(
    items: list[int], fail_at: int, window: int
) -> None:
    def source() -> Iterator[int]:
        for index, item in enumerate(items):
            if index == fail_at:
                raise KeyError("boom")
            yield item

    got = []
    with ThreadPoolExecutor(max_workers=3) as pool:
        mapped = OrderedMap(pool, lambda x: x, source(), window=window)
        if fail_at < len(items):
            with pytest.raises(KeyError):
                for item in mapped:
                    got.append(item)
            assert got == items[:fail_at]
        else:
            assert list(mapped) == items
