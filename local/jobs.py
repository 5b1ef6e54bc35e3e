"""What EventBridge runs in AWS, run by `make dev` on the dev clock: the stale-session sweeper
every SWEEP_EVERY_MINUTES of dev time, the FSRS optimiser every OPTIMISE_EVERY_MINUTES of dev
time (deployed: infra/constructs/schedules.py), and the one-time hangup schedules, each fired within
about a second of real time once the dev clock passes it (so moving the clock with
POST /local/clock fires them too). Both invoke the deployed handlers through the gateway."""
from __future__ import annotations

import json
import logging
import os

from infra.catalog import HANGUP, OPTIMIZER
from local.poller import PollingThread

logger = logging.getLogger(__name__)
POLL_SECONDS = 1.0


class ScheduledJobs(PollingThread):
    def __init__(self, backend, *, sweep_every_minutes: int | None = None) -> None:
        # A job that fails is logged and tried again at the next poll.
        super().__init__(name="scheduled-jobs", poll_seconds=POLL_SECONDS, failure_message="scheduled job failed",
                         logger=logger)
        self.backend = backend
        # SWEEP_EVERY_MINUTES=0: no sweep by itself (POST /local/jobs/sweep still runs one).
        minutes = sweep_every_minutes if sweep_every_minutes is not None else int(
            os.environ.get("SWEEP_EVERY_MINUTES") or 2)
        self.sweep_every_ms = minutes * 60_000 if minutes > 0 else None
        self._last_sweep: int | None = None
        self.optimise_every_ms = int(os.environ.get("OPTIMISE_EVERY_MINUTES") or 1) * 60_000
        self._last_optimise: int | None = None
        self.fired: list[dict] = []

    def poll(self) -> None:
        self.run_due()

    def run_due(self) -> None:
        from speakpho.clock import clock

        now = clock.now_ms()
        if self._last_sweep is None:
            self._last_sweep = now
        elif self.sweep_every_ms is not None and now - self._last_sweep >= self.sweep_every_ms:
            self._last_sweep = now
            self.backend.sweep()
        if self._last_optimise is None:
            self._last_optimise = now
        elif now - self._last_optimise >= self.optimise_every_ms:
            self._last_optimise = now
            self.optimise()
        self.fire_schedules(now)

    def optimise(self) -> dict:
        """Runs the FSRS optimiser now, as its schedule does when deployed."""
        return self.backend.gateway.invoke(OPTIMIZER.handler, {"source": "local", "detail-type": "Scheduled Event"},
                                           name="optimizer")

    def fire_schedules(self, now: int) -> list[dict]:
        """Invokes the hangup function for each schedule due at `now`, then deletes the schedule
        (ActionAfterCompletion DELETE); one that fails stays, to be retried at the next poll."""
        from speakpho.aws import scheduler_client
        from speakpho.config import get_settings
        from speakpho.providers.schedules import at_ms_of

        group = get_settings().hangup_schedule_group
        gateway = self.backend.gateway
        with gateway.lock:     # moto, in process, is not thread-safe
            client = scheduler_client()
            names = [s["Name"] for s in client.list_schedules(GroupName=group).get("Schedules", [])]
            due = []
            for name in names:
                schedule = client.get_schedule(Name=name, GroupName=group)
                if at_ms_of(schedule["ScheduleExpression"]) <= now:
                    due.append((name, json.loads(schedule["Target"]["Input"])))
        fired = []
        for name, payload in due:
            gateway.invoke(HANGUP.handler, payload, name="hangup")
            with gateway.lock:
                try:
                    scheduler_client().delete_schedule(Name=name, GroupName=group)
                except scheduler_client().exceptions.ResourceNotFoundException:
                    pass
            fired.append(payload)
        self.fired += fired
        return fired
