"""Admins set a learner's allowance for the current period; every change is kept with who
and why (an audit row next to the period row)."""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from speakpho.clock import Clock, utc_month
from speakpho.config import Settings
from speakpho.metering.usage import UserRef, period_credit, period_totals
from speakpho.tables import allowance_sk
from speakpho.views import usage_view

if TYPE_CHECKING:
    from speakpho.metering_store import MeteringStore

CHANGE_FIELDS = ("secondsLimit", "reason", "changedBy", "changedAt")


def set_allowance(store: MeteringStore, settings: Settings, clock: Clock, admin: UserRef, user_id: str,
                  seconds_limit: int, reason: str) -> dict:
    now = clock.now_ms()
    period = utc_month(now)
    audit = {
        "userId": user_id,
        "period": allowance_sk(period, now, uuid.uuid4().hex[:8]),
        "secondsLimit": seconds_limit,
        "reason": reason,
        "changedBy": admin.user_id,
        "changedByEmail": admin.email,
        "changedAt": now,
    }
    row = store.set_allowance(user_id=user_id, period=period, plan=settings.default_plan,
                              seconds_limit=seconds_limit, audit=audit)
    plan, limit, used = period_totals(settings, row)
    return {
        "userId": user_id,
        "usage": usage_view(plan=plan, period=period, seconds_limit=limit, seconds_used=used,
                            active_session_id=row.get("activeSessionId"), **period_credit(settings, row, limit)),
        "change": {k: audit[k] for k in CHANGE_FIELDS},
    }


def allowance_history(store: MeteringStore, user_id: str, period: str) -> list[dict]:
    return [{k: i.get(k) for k in CHANGE_FIELDS} for i in store.allowance_changes(user_id, period)]
