"""The per-learner limits under concurrency, on dynoxide: many starts at once for the hour
bucket's last token take it once (the profile row's condition), and imports at once never take
a learner past the imported-corrections limit (the #stats row's condition)."""
from __future__ import annotations

import uuid

import pytest

from learning import review
from learning.learning_store import learning_store
from learning.requests import CorrectionsImport
from speakpho import metering
from speakpho.config import get_settings
from speakpho.deps import metering_store
from speakpho.models import StartSessionRequest
from test_races import WORKERS, run_together, user_sessions
from provider_fakes import fake_ports

PORTS = fake_ports()

pytestmark = pytest.mark.race


def test_parallel_starts_take_the_hours_last_token_once(real_dynamodb, clock):
    # Minutes enough for 20 starts: past the first three, a superseded session is charged the
    # Gemini lease it held (docs/metering.md), and the free plan would run out first (402).
    store = metering_store()
    settings = get_settings().model_copy(update={"plan_minutes": {"free": 100_000, "pro": 100_000}})
    user = metering.UserRef(f"limited-{uuid.uuid4().hex[:8]}", email_verified=True)
    for _ in range(settings.starts_per_hour - 1):
        metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)

    results = run_together(WORKERS, lambda i: metering.start_session(store, settings, clock, user,
                                                                     StartSessionRequest(), ports=PORTS))
    started = [r for r in results if isinstance(r, dict)]
    assert len(started) == 1, results
    assert all(isinstance(r, dict) or r.code in ("start_rate_limited", "start_contended") for r in results)
    assert any(not isinstance(r, dict) and r.code == "start_rate_limited" for r in results)
    assert len(user_sessions(real_dynamodb, user.user_id)) == settings.starts_per_hour
    profile = metering_store().get_start_reads(user.user_id, "2026-11")[1]
    # the clock stands still: 20 tokens of the hour's 20 taken, 20 of the day's 50
    assert (profile["sessionCount"], profile["startTokensHour"], profile["startTokensDay"]) == (20, 0, 30_000)


def test_parallel_imports_never_pass_the_limit(real_dynamodb, clock):
    settings = get_settings().model_copy(update={"imported_corrections_limit": 100})
    user_id = f"importer-{uuid.uuid4().hex[:8]}"
    lists = [CorrectionsImport(corrections=[{"original": f"câu {i}.{n}", "correction": f"Câu {i}.{n}"}
                                            for n in range(30)]) for i in range(WORKERS)]

    results = run_together(WORKERS, lambda i: review.import_corrections(learning_store(), settings, clock, user_id,
                                                                        lists[i]))
    accepted = [r for r in results if isinstance(r, dict)]
    assert len(accepted) == 3 and all(r == {"imported": 30, "skipped": 0} for r in accepted), results
    assert all(isinstance(r, dict) or r.code == "import_limit_reached" for r in results)
    stats = learning_store().get_stats(user_id)
    assert stats["imported"] == stats["total"] == len(learning_store().all_corrections(user_id)) == 90
