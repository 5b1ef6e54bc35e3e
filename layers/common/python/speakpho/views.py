"""How stored items are shown to clients (one shape per thing, shared by every area)."""
from __future__ import annotations

from speakpho.models import CATEGORIES


def minutes(seconds: int | float) -> float:
    return round((seconds or 0) / 60, 2)


def usage_view(*, plan: str, period: str, seconds_limit: int, seconds_used: int,
               active_session_id: str | None, credited_seconds: int, credit_budget_seconds: int) -> dict:
    """The period's allowance; with the seconds credited in it for outages and the most that may
    be (speakpho.metering.usage.period_credit gives those two)."""
    remaining = max(0, seconds_limit - seconds_used)
    return {
        "plan": plan,
        "period": period,
        "secondsLimit": seconds_limit,
        "secondsUsed": seconds_used,
        "secondsRemaining": remaining,
        "minutesUsed": minutes(seconds_used),
        "minutesRemaining": minutes(remaining),
        "activeSessionId": active_session_id,
        "creditedSeconds": credited_seconds,
        "creditBudgetSeconds": credit_budget_seconds,
    }


def session_view(item: dict, *, include_user: bool = False) -> dict:
    view = {
        "id": item["sessionId"],
        "status": item.get("status"),
        "startedAt": item.get("startedAt"),
        "endedAt": item.get("endedAt"),
        "topic": item.get("topic"),
        "difficulty": item.get("difficulty"),
        "mode": item.get("mode"),
        "provider": item.get("provider"),
        "initialProvider": item.get("initialProvider"),
        "providerSwitched": bool(item.get("switchCount", 0)),
        "providerSwitchedAt": item.get("providerSwitchedAt"),
        "switchCount": item.get("switchCount", 0),
        "disconnectCode": item.get("disconnectCode"),
        "disconnectReason": item.get("disconnectReason"),
        "endReason": item.get("endReason"),
        "endedBy": item.get("endedBy"),
        "conversationId": item.get("conversationId"),
        "messageCount": item.get("messageCount", 0),
        "correctionCount": item.get("correctionCount", 0),
        "secondsUsed": item.get("secondsUsed", 0),
        "minutesUsed": minutes(item.get("secondsUsed", 0)),
        # Seconds not charged because the provider or the network failed (speakpho.story);
        # secondsUsed is already net of them.
        "creditedSeconds": item.get("creditedSeconds", 0),
    }
    if include_user:
        view["userId"] = item.get("userId")
        view["userEmail"] = item.get("userEmail")
    return view


def message_view(item: dict) -> dict:
    view = {"role": item["role"], "text": item["text"], "timestamp": item["timestamp"]}
    if item.get("provider"):
        view["provider"] = item["provider"]   # the provider it was said with (sent by newer pages)
    return view


def correction_view(item: dict) -> dict:
    return {
        "id": item["correctionId"],
        "sessionId": item.get("sessionId"),
        "original": item["original"],
        "correction": item["correction"],
        "explanation": item.get("explanation"),
        "category": item.get("category"),
        "reviewed": bool(item.get("reviewed", False)),
        # Flagged as wrong by the learner: kept in the lists, out of the review queue.
        "disputed": bool(item.get("disputed", False)),
        "confidenceLevel": item.get("confidenceLevel", 0),
        "reviewedAt": item.get("reviewedAt"),
        "nextReviewAt": item.get("nextReviewAt"),
        "createdAt": item.get("createdAt"),
        # 8 lapses (Again, on a card or in conversation) suspend it from review (learning/leeches.py).
        "leech": bool(item.get("leech", False)),
        "lapses": int(item.get("lapses") or 0),
        # The latest times a session said it (learning/conversation.py), oldest first.
        "evidence": [evidence_view(e) for e in item.get("evidence") or []],
    }


def evidence_view(entry: dict) -> dict:
    return {"sessionId": entry["sessionId"], "at": entry["at"], "outcome": entry["outcome"], "text": entry["text"]}


def correction_stats_view(stats_row: dict | None) -> dict:
    row = stats_row or {}
    return {
        "total": row.get("total", 0),
        "reviewed": row.get("reviewed", 0),
        "byCategory": {c: row.get(f"cat_{c}", 0) for c in CATEGORIES},
    }
