import time

from sandbox.core.clock import Clock


def test_a_frozen_clock_moves_only_when_advanced():
    clock = Clock()
    clock.freeze()
    before = clock.now()
    time.sleep(0.02)
    assert clock.now() == before
    assert clock.advance(5) == before + 5


def test_a_running_clock_follows_wall_time_plus_what_was_advanced():
    clock = Clock()
    clock.advance(100)
    assert abs(clock.now() - (time.time() + 100)) < 0.5
