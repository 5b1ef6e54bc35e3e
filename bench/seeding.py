"""Bulk-load synthetic ended sessions, with their stories, rollup cells and ledger rows (bench,
tests; never shipped: the admin asset holds production code only).

Writes straight to the tables in batches (no API calls, no stream processing), but with
exactly what the stream processor would have produced: cells are built with the same
admin.health.cells.contribution and merged into any cells already there, and each session
gets its ledger row, so a stream pump that later sees these inserts skips them.

    from bench.seeding import seed_sessions, synthetic_sessions
    sessions = synthetic_sessions(50_000, end_ms=clock.now_ms(), days=365)
    seed_sessions(dynamodb_client(), get_settings(), sessions)
"""
from __future__ import annotations

import random
import uuid

from speakpho import close_codes, ddb, story
from speakpho.clock import utc_day, utc_month
from speakpho.tables import rollup_ledger_key

from admin.health.cells import contribution

DAY_MS = 86_400_000
# (close code or None, weight): mostly clean, a few abnormal closes.
CODE_WEIGHTS = ((1000, 60), (None, 20), (1006, 8), (1001, 6), (1011, 4), (1013, 2))
FAILURE_CODES = (1006, 1011, 1011, 1013, 1001, 4003)   # a drop mid-session (4003: a provider's own code)
FAILURE_RATE, CALM_SWITCH_SHARE, SWEPT_SHARE = 0.08, 0.3, 0.1


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _other(provider: str) -> str:
    return "openai" if provider == "gemini" else "gemini"


class _Story:
    """A session's timeline as the session area records it (speakpho.story's entries)."""

    def __init__(self, rng: random.Random, started: int, ended_at: int, initial: str) -> None:
        self.rng, self.started, self.ended_at = rng, started, ended_at
        self.entries = [story.server_entry("started", started, provider=initial)]
        self.event_ids: set[str] = set()
        self.provider = initial

    def event(self, kind: str, at: int, provider: str | None = None, **fields) -> None:
        event = {"eventId": _uuid(self.rng), "type": kind, "at": at, "provider": provider or self.provider, **fields}
        self.entries.append(story.client_entry(event, received_at=at + self.rng.randint(50, 2_000),
                                               span_start=self.started, span_end=self.ended_at))
        self.event_ids.add(event["eventId"])

    def drop(self, at: int) -> int:
        code = self.rng.choice(FAILURE_CODES)
        self.event("provider_disconnected", at, code=code, reason=close_codes.label(code))
        if self.rng.random() < 0.6:
            self.event("reconnect_attempt", at + 1_500)
        return code

    def switch(self, at: int, code: int | None) -> None:
        to = _other(self.provider)
        self.entries.append(story.server_entry("provider_switched", at, **{"from": self.provider, "to": to,
                                                                            "code": code}))
        self.provider = to
        self.event("provider_connected", at + 1_000, connectMs=self.rng.randint(200, 1_500))


def _timeline(rng: random.Random, started: int, seconds: int, initial: str, switched: bool) -> _Story:
    """Connect; a switch (most after a drop, citing its code; some with no cause); now and then a
    drop followed by a reconnect on the same provider."""
    tale = _Story(rng, started, started + seconds * 1000, initial)
    tale.event("provider_connected", started + rng.randint(500, 3_000), connectMs=rng.randint(200, 1_500))
    middle = started + rng.randint(seconds * 200, seconds * 700)
    if switched:
        code = None if rng.random() < CALM_SWITCH_SHARE else tale.drop(middle)
        tale.switch(middle + rng.randint(2_000, 20_000), code)
    elif rng.random() < FAILURE_RATE:
        tale.drop(middle)
        tale.event("provider_connected", middle + rng.randint(2_000, 60_000), connectMs=rng.randint(200, 4_000))
    return tale


def synthetic_sessions(count: int, *, end_ms: int, days: int = 365, seed: int = 7, users: int = 500,
                       id_prefix: str = "") -> list[dict]:
    """`count` ended sessions started uniformly over the `days` days before `end_ms`, each with
    its story: drops (some rescued by a switch citing their code), switches with no cause,
    credits, limits and sweeps. The days, providers, modes and close codes are drawn as before
    stories were seeded (the story has its own generator), so `make bench` reads the same days."""
    rng = random.Random(seed)
    codes, weights = zip(*CODE_WEIGHTS)
    sessions = []
    for _ in range(count):
        started = end_ms - rng.randrange(days * DAY_MS)
        seconds = rng.randint(30, 1200)
        ended_at = started + seconds * 1000
        initial = "gemini" if rng.random() < 0.85 else "openai"
        switched = rng.random() < 0.1
        code = rng.choices(codes, weights)[0]
        limit_hit = rng.random() < 0.03
        user = f"user-{rng.randrange(users):05d}"
        session_id = id_prefix + _uuid(rng)
        told = random.Random(f"{seed}/{session_id}")
        tale = _timeline(told, started, seconds, initial, switched)
        if code is None and not limit_hit and told.random() < SWEPT_SHARE:   # no end came: the sweeper's close
            ended_by, credit = "client_vanished", 0
            tale.entries.append(story.server_entry("timed_out", ended_at + 120_000, endReason="timeout",
                                                   endedBy=ended_by))
        else:
            ended_by = story.ended_by_learner_end(code, limit_hit)
            credit = story.credited_seconds(tale.entries, ended_at, seconds)
            tale.entries.append(story.server_entry("ended", ended_at, endReason=story.end_reason(ended_by),
                                                   endedBy=ended_by, code=code))
        item = {
            "sessionId": session_id, "userId": user, "userEmail": f"{user}@example.com", "status": "ended",
            "period": utc_month(started), "startedAt": started, "startDay": utc_day(started), "endedAt": ended_at,
            "topic": "general", "difficulty": "intermediate", "mode": rng.choice(("free", "coach")),
            "provider": tale.provider, "initialProvider": initial, "switchCount": int(switched),
            "disconnectCode": code, "disconnectReason": close_codes.label(code) or None,
            "endReason": story.end_reason(ended_by), "endedBy": ended_by, "creditedSeconds": credit,
            "messageCount": rng.randint(0, 40), "correctionCount": 0, "secondsUsed": seconds - credit,
            "contentStoredAt": ended_at, "version": 4 + int(switched),
            "story": tale.entries, "eventIds": tale.event_ids, "eventCount": len(tale.event_ids),
        }
        if switched:
            item["providerSwitchedAt"] = next(e["at"] for e in tale.entries if e["type"] == "provider_switched")
        sessions.append({k: v for k, v in item.items() if v is not None})
    return sessions


def seed_sessions(client, settings, sessions: list[dict], *, ledgers: bool = True) -> dict:
    """Writes the sessions, adds them to the rollup cells, and (by default) their ledger rows.

    Returns counts: {"sessions", "cells", "requests"}."""
    totals = rollup_cells_for(sessions, settings.rollup_shards)
    ledger_rows = []
    if ledgers:
        for session in sessions:
            part = contribution(session, settings.rollup_shards)
            ledger_rows.append({**rollup_ledger_key(session["sessionId"]), "appliedVersion": session["version"],
                                "cellPk": part.pk, "cellSk": part.sk, "values": part.values})
    requests = 0
    # Merge with the cells already stored (one query per month touched).
    for pk in sorted({pk for pk, _ in totals}):
        page_items = ddb.query_all(client, TableName=settings.table("session_rollups"),
                                   KeyConditionExpression="pk = :pk",
                                   ExpressionAttributeValues=ddb.values({":pk": pk}))
        requests += 1
        for existing in page_items:
            key = (existing["pk"], existing["sk"])
            if key in totals:
                for name, value in existing.items():
                    if name not in ("pk", "sk"):
                        totals[key][name] = totals[key].get(name, 0) + value
    cells = [{"pk": pk, "sk": sk, **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in values.items()}}
             for (pk, sk), values in totals.items()]
    requests += ddb.batch_write(client, settings.table("sessions"), puts=sessions)
    requests += ddb.batch_write(client, settings.table("session_rollups"), puts=cells + ledger_rows)
    return {"sessions": len(sessions), "cells": len(cells), "requests": requests}


def rollup_cells_for(sessions: list[dict], shards: int | None = None) -> dict[tuple[str, str], dict]:
    """The rollup cells these sessions add up to, in the month shards the stream processor
    puts them in (Settings.rollup_shards by default): (pk, sk) -> counters."""
    if shards is None:
        from speakpho.config import get_settings

        shards = get_settings().rollup_shards
    totals: dict[tuple[str, str], dict] = {}
    for session in sessions:
        part = contribution(session, shards)
        cell = totals.setdefault((part.pk, part.sk), {})
        for name, value in part.values.items():
            cell[name] = cell.get(name, 0) + value
    return totals
