"""Bulk-load synthetic ended sessions with their rollup cells and ledger rows (bench, tests;
never shipped: the admin asset holds production code only).

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

from speakpho import close_codes, ddb
from speakpho.clock import utc_day, utc_month
from speakpho.tables import rollup_ledger_key

from admin.health.cells import contribution

DAY_MS = 86_400_000
# (close code or None, weight): mostly clean, a few abnormal closes.
CODE_WEIGHTS = ((1000, 60), (None, 20), (1006, 8), (1001, 6), (1011, 4), (1013, 2))


def synthetic_sessions(count: int, *, end_ms: int, days: int = 365, seed: int = 7, users: int = 500,
                       id_prefix: str = "") -> list[dict]:
    """`count` ended sessions started uniformly over the `days` days before `end_ms`."""
    rng = random.Random(seed)
    codes, weights = zip(*CODE_WEIGHTS)
    sessions = []
    for _ in range(count):
        started = end_ms - rng.randrange(days * DAY_MS)
        seconds = rng.randint(30, 1200)
        initial = "gemini" if rng.random() < 0.85 else "openai"
        switches = 1 if rng.random() < 0.1 else 0
        final = ("openai" if initial == "gemini" else "gemini") if switches else initial
        code = rng.choices(codes, weights)[0]
        reason = "limit_reached" if rng.random() < 0.03 else ("disconnect" if close_codes.is_disconnect(code)
                                                                else "user_ended")
        user = f"user-{rng.randrange(users):05d}"
        session_id = id_prefix + str(uuid.UUID(int=rng.getrandbits(128), version=4))
        item = {
            "sessionId": session_id, "userId": user, "userEmail": f"{user}@example.com", "status": "ended",
            "period": utc_month(started), "startedAt": started, "startDay": utc_day(started),
            "endedAt": started + seconds * 1000, "topic": "general", "difficulty": "intermediate",
            "mode": rng.choice(("free", "coach")), "provider": final, "initialProvider": initial,
            "switchCount": switches, "disconnectCode": code,
            "disconnectReason": close_codes.label(code) or None,
            "endReason": reason, "messageCount": rng.randint(0, 40), "correctionCount": 0,
            "secondsUsed": seconds, "contentStoredAt": started + seconds * 1000, "version": 3 + switches,
        }
        if switches:
            item["providerSwitchedAt"] = started + seconds * 500
        sessions.append(item)
    return sessions


def seed_sessions(client, settings, sessions: list[dict], *, ledgers: bool = True) -> dict:
    """Writes the sessions, adds them to the rollup cells, and (by default) their ledger rows.

    Returns counts: {"sessions", "cells", "requests"}."""
    totals = rollup_cells_for(sessions)
    ledger_rows = []
    if ledgers:
        for session in sessions:
            part = contribution(session)
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


def rollup_cells_for(sessions: list[dict]) -> dict[tuple[str, str], dict]:
    """The rollup cells these sessions add up to: (pk, sk) -> counters."""
    totals: dict[tuple[str, str], dict] = {}
    for session in sessions:
        part = contribution(session)
        cell = totals.setdefault((part.pk, part.sk), {})
        for name, value in part.values.items():
            cell[name] = cell.get(name, 0) + value
    return totals
