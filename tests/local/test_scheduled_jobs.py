"""make dev's scheduled jobs (local/jobs.py) on the dev clock: the sweeper every
SWEEP_EVERY_MINUTES of dev time (0: never by itself), whatever real time passes."""
from __future__ import annotations

import pytest

from local.jobs import ScheduledJobs


class Backend:
    def __init__(self) -> None:
        self.sweeps = 0

    def sweep(self) -> None:
        self.sweeps += 1


@pytest.mark.parametrize("minutes, advances, sweeps", [
    (2, [0, 60, 59], 0),          # under two dev-minutes since the first poll
    (2, [0, 120], 1),
    (2, [0, 120, 60, 60], 2),     # every two dev-minutes
    (2, [0, 3600], 1),            # a jump of an hour is one sweep, not thirty
    (0, [0, 120, 86_400], 0),     # off
])
def test_the_sweeper_runs_on_the_dev_clock(clock, monkeypatch, minutes, advances, sweeps):
    backend = Backend()
    jobs = ScheduledJobs(backend, sweep_every_minutes=minutes)
    monkeypatch.setattr(jobs, "fire_schedules", lambda now: [])
    monkeypatch.setattr(jobs, "optimise", lambda: None)
    for seconds in advances:
        clock.advance(seconds)
        jobs.run_due()
    assert backend.sweeps == sweeps
