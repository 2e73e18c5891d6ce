"""app.memory: the cyclic collector paused around bulk work, and restored exactly."""

from __future__ import annotations

import gc
import threading

import pytest

from app.memory import collector_paused, paused


def test_the_collector_is_paused_inside_and_enabled_again_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: still paused after the inner one ends
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_enables_it_again() -> None:
    def boom() -> None:
        raise ValueError("x")

    with pytest.raises(ValueError):
        paused(boom)()
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_uses_in_two_threads_enable_it_only_when_both_ended() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with collector_paused():
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the other thread is still inside
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_paused_returns_the_result() -> None:
    assert paused(lambda a, b: a + b)(2, 3) == 5
