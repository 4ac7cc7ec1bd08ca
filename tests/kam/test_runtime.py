import gc
import threading

import pytest

from kam.runtime import gc_paused


def test_the_collector_is_paused_inside_and_runs_again_after_the_last_batch():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "the outer batch is still running"
    assert gc.isenabled()


def test_a_batch_on_another_thread_keeps_the_pause_until_it_ends():
    entered, release = threading.Event(), threading.Event()

    def batch():
        with gc_paused():
            entered.set()
            release.wait(5)

    other = threading.Thread(target=batch)
    other.start()
    entered.wait(5)
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled(), "the other thread's batch is still running"
    release.set()
    other.join(5)
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_inside_still_ends_the_pause():
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()
