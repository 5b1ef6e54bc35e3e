"""Provider reliability from a session's story: the counters a session adds to its rollup
cell, the story fields of a list row, and the stats summed from cells. Pure functions.

Read from the timeline with speakpho.story.summary:

- a *connection* is a segment that ran on one provider: the start opens one, a reconnect
  after a drop or a switch opens the next; each counts for the provider it ran on;
- a *failure* is a disconnect on the provider or the network side (speakpho.close_codes),
  charged to the provider the segment ran on: a Gemini failure rescued by OpenAI is
  Gemini's. An end's or a switch's own close code is not a failure by itself: the client
  reports the drop as a provider_disconnected event (the end's code is in
  disconnectBreakdown, the switch's in switchCauses);
- a *failed session* saw at least one failure, or was ended by the provider or the network;
- *switch causes* are the close codes the switches reported, as code keys; a switch the
  story does not hold (a full story, a session from before stories) counts as "unknown",
  so the causes always add up to switchCount.

Counter names are bounded: providers are speakpho.enums.PROVIDERS or "other", close codes
are speakpho.story.code_key (codes of the table, "other", "none"), so a client cannot
create attributes or cells with made-up values.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from speakpho import story
from speakpho.enums import PROVIDERS

if TYPE_CHECKING:
    from admin.health.cells import Cell

OTHER, UNKNOWN = "other", "unknown"
CONNECTIONS = "conn_"            # conn_<provider>
FAILURES = "failc_"              # failc_<provider>_<code key>
CAUSES = "cause_"                # cause_<code key>
FAILED_SESSIONS, RECONNECTS = "failedSessions", "reconnects"
FAILED_BY = ("provider", "network")       # endedBy values that are a failure


def bounded(value, allowed: Iterable[str]) -> str:
    """A value as a key part or counter name: itself when allowed, "unknown" when missing,
    else "other"."""
    if value is None or value == "":
        return UNKNOWN
    return str(value) if value in allowed else OTHER


def provider_key(provider) -> str:
    return bounded(provider, PROVIDERS)


def initial_provider(session: dict) -> str | None:
    return session.get("initialProvider") or session.get("provider")


def session_summary(session: dict) -> dict:
    return story.summary(session.get("story") or [], initial_provider(session) or OTHER)


def _add(counters: dict, name: str, value: int) -> None:
    if value:
        counters[name] = counters.get(name, 0) + int(value)


def recorded_causes(session: dict, summary: dict) -> dict[str, int]:
    """{code key: switches}; switches the story does not hold count as "unknown"."""
    causes = dict(summary["switchCauses"])
    missing = int(session.get("switchCount") or 0) - sum(causes.values())
    if missing > 0:
        causes[UNKNOWN] = causes.get(UNKNOWN, 0) + missing
    return causes


def session_counters(session: dict) -> dict[str, int]:
    """What a session's story adds to its cell (zeros left out)."""
    summary = session_summary(session)
    counters: dict[str, int] = {}
    _add(counters, RECONNECTS, summary["reconnects"])
    for provider, count in summary["connections"].items():
        _add(counters, CONNECTIONS + provider_key(provider), count)
    failed = False
    for provider, codes in summary["failures"].items():
        for key, count in codes.items():
            _add(counters, f"{FAILURES}{provider_key(provider)}_{key}", count)
            failed = failed or count > 0
    for key, count in recorded_causes(session, summary).items():
        _add(counters, CAUSES + key, count)
    if failed or session.get("endedBy") in FAILED_BY:
        counters[FAILED_SESSIONS] = 1
    return counters


def had_drop(session: dict) -> bool:
    """A provider- or network-side disconnect anywhere in the story, or an end by the
    provider or the network: the session counts in failedSessions (the hadDrop filter)."""
    return bool(session_counters(session).get(FAILED_SESSIONS))


# --------------------------------------------------------------------------- a list row
def switch_cause(session: dict) -> str | None:
    """The first switch's cause as a code key ("1011", "other", "none"); "unknown" when the
    session switched but its story holds no switch; None without a switch."""
    cause = story.switch_cause(session.get("story") or [])
    if cause is None and int(session.get("switchCount") or 0) > 0:
        return UNKNOWN
    return cause


def reconnects(session: dict) -> int:
    """The reconnect attempts the client reported."""
    return sum(1 for e in session.get("story") or () if e.get("type") == "reconnect_attempt")


# --------------------------------------------------------------------------- stats from cells
def code_order(key: str) -> tuple[int, str]:
    """Codes by number, then the named keys ("none", "other", "unknown")."""
    return (int(key), key) if key.isdigit() else (10 ** 9, key)


def _sorted(counts: dict[str, int]) -> dict[str, int]:
    return {k: counts[k] for k in sorted(counts, key=code_order) if counts[k]}


def rate(part: float, whole: float) -> float:
    """A float always (0.0, not 0, without a whole): one JSON type for every provider."""
    return round(part / whole, 4) if whole else 0.0


def prefixed_counts(cells: Iterable[Cell], prefix: str) -> dict[str, int]:
    """Counters named prefix + key, summed over cells: {key: n}, codes in order, zeros left out."""
    counts: dict[str, int] = {}
    for cell in cells:
        for name, value in cell.values.items():
            if name.startswith(prefix) and value:
                key = name[len(prefix):]
                counts[key] = counts.get(key, 0) + int(value)
    return _sorted(counts)


def provider_reliability(cells: Iterable[Cell]) -> dict:
    """{provider: {connections, failures, failuresByCode, failureRate}}: gemini and openai
    always, any other provider key only when it has counts."""
    connections: dict[str, int] = {p: 0 for p in PROVIDERS}
    failures: dict[str, dict[str, int]] = {p: {} for p in PROVIDERS}
    for cell in cells:
        for name, value in cell.values.items():
            if not value:
                continue
            if name.startswith(CONNECTIONS):
                provider = name[len(CONNECTIONS):]
                connections[provider] = connections.get(provider, 0) + int(value)
            elif name.startswith(FAILURES):
                provider, _, key = name[len(FAILURES):].partition("_")
                codes = failures.setdefault(provider, {})
                codes[key] = codes.get(key, 0) + int(value)
    view = {}
    for provider in [*PROVIDERS, *sorted((set(connections) | set(failures)) - set(PROVIDERS))]:
        by_code = _sorted(failures.get(provider, {}))
        count, total = sum(by_code.values()), connections.get(provider, 0)
        if provider in PROVIDERS or count or total:
            view[provider] = {"connections": total, "failures": count, "failuresByCode": by_code,
                              "failureRate": rate(count, total)}
    return view


def by_initial_provider(cells: Iterable[Cell]) -> dict:
    """{initial provider: {sessions, switchedAway, failedSessions}}; switchedAway: sessions
    that left the provider they started on at least once."""
    view = {p: {"sessions": 0, "switchedAway": 0, "failedSessions": 0} for p in PROVIDERS}
    for cell in cells:
        sessions = int(cell.count("sessions"))
        if not sessions and cell.initial_provider not in view:
            continue
        row = view.setdefault(cell.initial_provider, {"sessions": 0, "switchedAway": 0, "failedSessions": 0})
        row["sessions"] += sessions
        row["switchedAway"] += int(cell.count("switchedSessions"))
        row["failedSessions"] += int(cell.count(FAILED_SESSIONS))
    return {p: v for p, v in view.items() if p in PROVIDERS or v["sessions"]}


def switch_causes(cells: Iterable[Cell]) -> dict[str, int]:
    """{code key: switches}, over every switch (they add up to totalSwitches)."""
    return prefixed_counts(cells, CAUSES)


def failures_by_provider(cells: Iterable[Cell]) -> dict[str, int]:
    """{provider: failures} (the time series' per-day figure): gemini and openai always."""
    counts = {p: 0 for p in PROVIDERS}
    for cell in cells:
        for name, value in cell.values.items():
            if name.startswith(FAILURES) and value:
                provider = name[len(FAILURES):].partition("_")[0]
                counts[provider] = counts.get(provider, 0) + int(value)
    return {p: n for p, n in counts.items() if p in PROVIDERS or n}
