"""The admin health filter: a range of UTC start days and optional equality filters
(admin.health.cells.cell_matches is their one meaning).

A plain value type; parsing it from a request belongs to the routes (admin.health_routes).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone


@dataclass(frozen=True)
class HealthFilter:
    day_from: date
    day_to: date
    provider: str | None = None
    mode: str | None = None
    has_disconnect: bool | None = None
    user_id: str | None = None
    today: date | None = None
    initial_provider: str | None = None
    ended_by: str | None = None          # one of speakpho.story.ENDED_BY
    status: str | None = None            # "active" | "ended"
    # A row filter (admin.health.reliability.had_drop): the story is not a cell key part, so
    # it narrows the list and the export, and the stats count the other filters' sessions.
    had_drop: bool | None = None

    @property
    def filters_rows(self) -> bool:
        """True when a day's (or user's) query must drop some of the rows it reads."""
        return any(value is not None for value in (self.provider, self.mode, self.has_disconnect,
                                                   self.initial_provider, self.ended_by, self.status,
                                                   self.had_drop))

    def days(self) -> list[str]:
        """Every UTC day in range, oldest first."""
        count = (self.day_to - self.day_from).days + 1
        return [(self.day_from + timedelta(days=i)).isoformat() for i in range(count)]

    @property
    def start_ms(self) -> int:
        return day_start_ms(self.day_from)

    @property
    def end_ms(self) -> int:
        """Last millisecond of day_to."""
        return day_start_ms(self.day_to + timedelta(days=1)) - 1


def day_start_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1000)
