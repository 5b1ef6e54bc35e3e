"""One learner's visit, as the app makes it, through a CarefulClient: a session (start with
an Idempotency-Key, heartbeats, a provider switch, an end with transcript and corrections),
then an import of local corrections sent twice, then two reviews with Idempotency-Keys.

What the learner saw is kept in a LearnerReport for the invariants to compare with the table.
"""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field

from faults_client import CarefulClient, ClientStats

MESSAGES = 12
CORRECTIONS = 3
HEARTBEATS = 3
IMPORTED = 4
SILENT = 0.25          # the share of learners that go quiet mid-session


@dataclass
class LearnerReport:
    user_id: str
    session_id: str | None = None
    locked_out: bool = False            # no started session within the retry budget
    start_status: int | None = None
    ended: dict | None = None           # the end's answer
    end_status: int | None = None
    switch_status: int | None = None
    switch_code: str | None = None      # provider_unchanged: a lost answer of an applied switch
    heartbeats_refused: int = 0         # 409 session_not_active: the sweeper closed it first
    messages: list[dict] = field(default_factory=list)
    corrections: list[dict] = field(default_factory=list)
    imported: list[dict] = field(default_factory=list)
    import_answers: list[dict | None] = field(default_factory=list)
    reviews: dict[str, int] = field(default_factory=dict)   # correction id -> answer status
    review_answers: dict[str, dict] = field(default_factory=dict)   # correction id -> the 200 answer's data
    reviews_locked_out: int = 0         # no answer but a retryable one (409 with Retry-After, 5xx) in the budget
    errors: list[str] = field(default_factory=list)         # answers no careful client expects
    seconds: float = 0.0
    stats: ClientStats = field(default_factory=ClientStats)


def transcript(user_id: str) -> tuple[list[dict], list[dict]]:
    messages = [{"role": "user" if i % 2 else "coach", "text": f"{user_id} câu {i}: Tôi muốn ăn phở",
                 "timestamp": 1_000 + i} for i in range(MESSAGES)]
    corrections = [{"original": f"{user_id} sai {i}", "correction": f"{user_id} đúng {i}", "category": "tone"}
                   for i in range(CORRECTIONS)]
    return messages, corrections


def local_corrections(user_id: str) -> list[dict]:
    return [{"original": f"{user_id} cũ {i}", "correction": f"{user_id} mới {i}", "category": "grammar",
             "createdAt": 1_700_000_000_000 + i} for i in range(IMPORTED)]


def run_learner(api, user_id: str, rng: random.Random, *, pause: float = 0.15,
                silence: float = 0.0) -> LearnerReport:
    """`api` is an ApiClient already bound to this learner's token. One learner in SILENT
    goes quiet for `silence` seconds mid-session (the phone locked), long enough for the
    sweeper to close the session before its last heartbeat and its end."""
    report = LearnerReport(user_id)
    began = time.monotonic()
    client = CarefulClient(api, rng)
    report.stats = client.stats
    try:
        _session(client, report, rng, pause, silence if rng.random() < SILENT else 0.0)
        _import_twice(client, report)
        _review(client, report)
    except Exception as exc:  # noqa: BLE001 - reported, the invariants then say what it broke
        report.errors.append(f"crashed: {exc!r}")
    report.seconds = time.monotonic() - began
    return report


def _unexpected(report: LearnerReport, what: str, outcome) -> None:
    gave_up = " (gave up)" if outcome.gave_up else ""
    report.errors.append(f"{what}: {outcome.status} {outcome.code} after {outcome.attempts} tries{gave_up}")


def _session(client: CarefulClient, report: LearnerReport, rng: random.Random, pause: float,
             silence: float) -> None:
    body = {"topic": "food", "mode": rng.choice(["coach", "free"]), "provider": "gemini"}
    started = client.post("/api/session/start", body, key=str(uuid.uuid4()))
    report.start_status = started.status
    if started.status != 201:
        report.locked_out = True
        if not started.gave_up:
            _unexpected(report, "start", started)
        return
    sid = report.session_id = started.data["sessionId"]
    for i in range(HEARTBEATS):
        time.sleep(rng.uniform(0.5, 1.5) * pause + (silence if i == HEARTBEATS - 1 else 0))
        beat = client.post("/api/session/heartbeat", {"sessionId": sid})
        if beat.status == 409 and beat.code == "session_not_active":
            report.heartbeats_refused += 1
        elif beat.status != 200:
            _unexpected(report, f"heartbeat {i}", beat)
        if i == 1:
            switch = client.post("/api/session/switch-provider",
                                 {"sessionId": sid, "provider": "openai", "disconnectCode": 1006})
            report.switch_status, report.switch_code = switch.status, switch.code
            # provider_unchanged: an earlier try applied the switch (its answer was lost).
            ok = switch.status == 200 or (switch.status == 409 and switch.code in ("provider_unchanged",
                                                                                   "session_not_active"))
            if not ok:
                _unexpected(report, "switch", switch)
    report.messages, report.corrections = transcript(report.user_id)
    end = client.post("/api/session/end", {"sessionId": sid, "disconnectCode": rng.choice([1000, 1006]),
                                           "provider": "openai", "messages": report.messages,
                                           "corrections": report.corrections})
    report.end_status = end.status
    if end.status == 200:
        report.ended = end.data
    else:
        _unexpected(report, "end", end)


def _import_twice(client: CarefulClient, report: LearnerReport) -> None:
    report.imported = local_corrections(report.user_id)
    for round_ in range(2):   # the app sends its local list again (say, from a second tab)
        answer = client.post("/api/learning/corrections/import", {"corrections": report.imported})
        report.import_answers.append(answer.data)
        if answer.status != 200:
            _unexpected(report, f"import {round_}", answer)


def _review(client: CarefulClient, report: LearnerReport) -> None:
    listed = client.get("/api/learning/corrections?limit=50")
    if listed.status != 200:
        return _unexpected(report, "corrections list", listed)
    items = sorted(listed.data["corrections"], key=lambda c: c["id"])
    from_session = [c for c in items if c.get("sessionId")]
    imported = [c for c in items if not c.get("sessionId")]
    for correction in (from_session[:1] + imported[:1]):
        answer = client.patch(f"/api/learning/corrections/{correction['id']}", {"confidenceLevel": 3},
                              key=str(uuid.uuid4()))
        report.reviews[correction["id"]] = answer.status
        if answer.status == 200:
            report.review_answers[correction["id"]] = answer.data
        elif answer.gave_up:
            report.reviews_locked_out += 1
        else:
            _unexpected(report, "review", answer)
