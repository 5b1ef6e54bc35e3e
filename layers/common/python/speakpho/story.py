"""A session's story: the timeline of connections, disconnects, reconnects and switches,
who ended the session, and the seconds a provider's failure cost the learner.

Pure functions over plain dicts (no I/O). The session item keeps its story (a live session's
client events wait in their batches, one item per events call, until its close folds them in:
speakpho.metering.fold; batched_entries reads them):

    story        list of timeline entries (below), in the order they were recorded
    eventIds     string set of the client eventIds already recorded, in lower case (a repeat is ignored)
    eventCount   how many client events the session holds (at most MAX_EVENTS_PER_SESSION)
    endedBy      learner | provider | network | limit | client_vanished | superseded
    creditedSeconds  seconds not charged because a provider or the network failed

A timeline entry: {"type", "at", "source": "client"|"server", "eventId"? (client),
"provider"?, "code"?, "reason"?, "connectMs"?, "receivedAt"?, "clientAt"?, "skewMs"?, "from"?,
"to"?, "endReason"?, "endedBy"?}.
Server entries use the server clock. Client entries keep the client's time, moved onto the
server's clock when the client's clock is off (skew_offset) and clamped into the session's
span, as `at`; the server's time of arrival as `receivedAt`; the client's own time as
`clientAt` when `at` differs from it, and the offset applied as `skewMs` when it was moved.

Server entries, each written by the request that already changes the session:
    started            {provider}                      the start's Put
    provider_switched  {from, to, code?, reason?}      a switch (or an end reporting one)
    heartbeat_gap      {from, to}                      a heartbeat after > 2 intervals of silence
    ended              {endReason, endedBy, code?}     the learner's end
    timed_out          {endReason, endedBy}            the sweeper's close
    superseded         {endReason, endedBy}            a newer start's close
    access_granted     {provider, expiresAt}           provider access given (start, switch, access, renewal)
    call_connected     {callId}                        the server placed an OpenAI call (connect)
    call_hung_up       {callId, why}                   the server hung up that call (speakpho.access)

Size: a session item must stay under DynamoDB's 400 KB. A stored `reason` keeps at most
MAX_REASON_BYTES of UTF-8 (cut at a character); client events are capped by
MAX_EVENTS_PER_SESSION, and the optional server entries (provider_switched,
heartbeat_gap) are recorded only while the story holds fewer than MAX_STORY_ENTRIES.
"""
from __future__ import annotations

from speakpho import close_codes

CLIENT_TYPES = ("provider_connected", "provider_disconnected", "reconnect_attempt")
SERVER_TYPES = ("started", "provider_switched", "heartbeat_gap", "ended", "timed_out", "superseded",
                "access_granted", "call_connected", "call_hung_up")
CLIENT, SERVER = "client", "server"

MAX_EVENTS_PER_CALL = 50
MAX_EVENTS_PER_SESSION = 500
EVENTS_AFTER_END_MS = 5 * 60 * 1000       # events may still arrive this long after the end
OUTAGE_CREDIT_CAP_SECONDS = 120           # client events can lie: each outage credits at most this
SESSION_CREDIT_CAP_SECONDS = 300          # and a session at most this
# An outage earns credit only when the server saw the client come back: one of these entries
# (access given again, a switch, an OpenAI call placed) inside the outage's window.
CORROBORATING_TYPES = ("access_granted", "provider_switched", "call_connected")
# The window [from, to] is widened by this much at both ends: client times off by up to the
# skew tolerance (Settings.client_skew_tolerance_ms, 2 s) are not moved, and the offset the
# server measures includes the request's transit, so a client's reconnection can be recorded
# up to that much before the grant that made it (and its disconnect that much after it).
CORROBORATION_SLACK_MS = 2000
MAX_REASON_BYTES = 200                    # a stored reason, in UTF-8 bytes
MAX_STORY_ENTRIES = 600                   # optional server entries stop here (see the size note)

ENDED_BY = ("learner", "provider", "network", "limit", "client_vanished", "superseded")
# endedBy -> the seed's end_reason. `provider_switch` is never written: a switch does not
# end a session here, it continues on the other provider.
END_REASON_BY_ENDED_BY = {
    "learner": "user_ended",
    "provider": "error",
    "network": "disconnect",
    "limit": "limit_reached",
    "client_vanished": "timeout",
    "superseded": "stale",
}
FAILURE_SIDES = (close_codes.PROVIDER, close_codes.NETWORK)


# --------------------------------------------------------------------------- entries
def clamp(at: int, low: int, high: int) -> int:
    return max(low, min(int(at), max(low, high)))


def short_reason(reason: str | None) -> str | None:
    """A reason as stored in the story: at most MAX_REASON_BYTES of UTF-8, cut at a character."""
    if reason is None:
        return None
    return reason.encode("utf-8")[:MAX_REASON_BYTES].decode("utf-8", errors="ignore")


def skew_offset(sent_at: int | None, received_at: int, tolerance_ms: int) -> int:
    """What to add to a batch's client times to put them on the server's clock: the server's
    receipt time less the client's `sentAt`, when they differ by more than the tolerance;
    0 within it, or when the client sent no `sentAt` (older clients)."""
    if sent_at is None:
        return 0
    offset = int(received_at) - int(sent_at)
    return offset if abs(offset) > tolerance_ms else 0


def client_entry(event: dict, *, received_at: int, span_start: int, span_end: int, skew_ms: int = 0) -> dict:
    """A client event as stored: its time moved by `skew_ms` (skew_offset), then clamped into
    [span_start, span_end]; the client's own time kept as `clientAt` when that changed it."""
    at = clamp(int(event["at"]) + skew_ms, span_start, span_end)
    entry = {"type": event["type"], "source": CLIENT, "eventId": event["eventId"],
             "at": at, "receivedAt": received_at, "provider": event["provider"]}
    if at != int(event["at"]):
        entry["clientAt"] = int(event["at"])
    if skew_ms:
        entry["skewMs"] = int(skew_ms)
    for name in ("code", "reason", "connectMs"):
        if event.get(name) is not None:
            entry[name] = short_reason(event[name]) if name == "reason" else event[name]
    return entry


def server_entry(entry_type: str, at: int, **fields) -> dict:
    if fields.get("reason") is not None:
        fields["reason"] = short_reason(fields["reason"])
    return {"type": entry_type, "source": SERVER, "at": int(at),
            **{k: v for k, v in fields.items() if v is not None}}


def fresh_events(events: list[dict], known_ids) -> tuple[list[dict], int]:
    """The events not recorded yet (first of each eventId), and how many were repeats
    (already recorded, or repeated within the list)."""
    seen = set(known_ids or ())
    fresh = []
    for event in events:
        if event["eventId"] in seen:
            continue
        seen.add(event["eventId"])
        fresh.append(event)
    return fresh, len(events) - len(fresh)


def batched_entries(batches: list[dict], known_ids) -> list[dict]:
    """The entries of a live session's event batches (table session_events, one item per
    events call: speakpho.metering.events), each eventId once (first batch first) and none of
    `known_ids` (those already on the session item)."""
    entries, seen = [], set(known_ids or ())
    for batch in batches:
        for entry in batch.get("entries") or ():
            if entry["eventId"] not in seen:
                seen.add(entry["eventId"])
                entries.append(entry)
    return entries


def heartbeat_gap(last_heartbeat_at: int | None, now: int, interval_seconds: int) -> dict | None:
    """The heartbeat_gap entry when no heartbeat came for more than twice the interval.
    Seen by the one heartbeat that follows the silence, so one entry per gap."""
    if last_heartbeat_at is None or now - int(last_heartbeat_at) <= 2 * interval_seconds * 1000:
        return None
    return server_entry("heartbeat_gap", now, **{"from": int(last_heartbeat_at), "to": int(now)})


def ordered(entries: list[dict]) -> list[dict]:
    """By time; server entries first on ties; otherwise in the order recorded."""
    indexed = list(enumerate(entries or []))
    indexed.sort(key=lambda pair: (int(pair[1]["at"]), 0 if pair[1].get("source") == SERVER else 1, pair[0]))
    return [entry for _, entry in indexed]


# --------------------------------------------------------------------------- who ended it
def ended_by_code(code: int | None) -> str:
    """learner (1000 or no code), network (1001, 1006, codes of no known side), provider."""
    if code is None or close_codes.is_normal(code):
        return "learner"
    return close_codes.PROVIDER if close_codes.side(code) == close_codes.PROVIDER else "network"


def ended_by_learner_end(code: int | None, limit_hit: bool, page_closing: bool = False) -> str:
    """Who ended a session the client ended (POST /session/end): the limit wins; a page that
    is closing (the tab, a navigation) is the learner leaving whatever its code; then the code."""
    if limit_hit:
        return "limit"
    return "learner" if page_closing else ended_by_code(code)


def end_reason(ended_by: str) -> str:
    return END_REASON_BY_ENDED_BY[ended_by]


# --------------------------------------------------------------------------- credit
def is_failure(entry: dict) -> bool:
    """A disconnect on the provider or network side."""
    return entry.get("type") == "provider_disconnected" and close_codes.side(entry.get("code")) in FAILURE_SIDES


def _reconnects(entry: dict) -> bool:
    return entry.get("type") in ("provider_connected", "provider_switched")


def outages(entries: list[dict], ended_at: int) -> list[tuple[int, int]]:
    """(from, to) in ms: from a failure to the next connection (a reconnect or a switch),
    or to the end when none came. Failures inside an outage extend it, not add to it."""
    spans: list[tuple[int, int]] = []
    down_since: int | None = None
    for entry in ordered(entries):
        if is_failure(entry):
            if down_since is None:
                down_since = int(entry["at"])
        elif _reconnects(entry) and down_since is not None:
            spans.append((down_since, max(down_since, int(entry["at"]))))
            down_since = None
    if down_since is not None:
        spans.append((down_since, max(down_since, int(ended_at))))
    return spans


def corroborating_times(entries: list[dict], ended_at: int) -> list[int]:
    """When the server saw the client come back (CORROBORATING_TYPES). Only after the start:
    the start's own access_granted is the first connection, not a return (and a client time
    before the start is clamped to it). Only before the end: what the end writes itself (a
    switch the client reports only then) is the client's word, not something the server saw."""
    started = min((int(e["at"]) for e in entries or () if e.get("type") == "started"), default=None)
    return [int(e["at"]) for e in entries or ()
            if e.get("source") == SERVER and e.get("type") in CORROBORATING_TYPES
            and (started is None or int(e["at"]) > started) and int(e["at"]) < int(ended_at)]


def is_corroborated(outage: tuple[int, int], times: list[int]) -> bool:
    """A corroborating entry lies inside [from, to], widened by CORROBORATION_SLACK_MS."""
    since, to = outage
    return any(since - CORROBORATION_SLACK_MS <= at <= to + CORROBORATION_SLACK_MS for at in times)


def credited_seconds(entries: list[dict], ended_at: int, charge_seconds: int) -> int:
    """Whole seconds not charged: the outages the server corroborates, each capped, the session
    capped, never above the charge. (The period's credit budget is the end's: metering.end.)"""
    times = corroborating_times(entries, ended_at)
    total = sum(min((to - since) // 1000, OUTAGE_CREDIT_CAP_SECONDS)
                for since, to in outages(entries, ended_at) if is_corroborated((since, to), times))
    return max(0, min(total, SESSION_CREDIT_CAP_SECONDS, charge_seconds))


# --------------------------------------------------------------------------- summary for health
def code_key(code: int | None) -> str:
    """A close code as a metric dimension or rollup key: only codes of the table; else `other`."""
    if code is None:
        return "none"
    return str(int(code)) if int(code) in close_codes.CLOSE_CODES else "other"


def summary(entries: list[dict], initial_provider: str) -> dict:
    """What session health counts from a timeline.

    connections: provider -> connection segments that ran on it (the start opens one;
    a reconnect after a drop or a switch opens the next). failures: provider -> {code key:
    n} of provider- or network-side disconnects, charged to the provider the segment ran
    on. switchCauses: {code key or "none": n}, the cause each switch reported.
    """
    connections: dict[str, int] = {}
    failures: dict[str, dict[str, int]] = {}
    causes: dict[str, int] = {}
    reconnect_attempts = 0
    current: str | None = None

    def open_segment(provider: str) -> None:
        nonlocal current
        current = provider
        connections[provider] = connections.get(provider, 0) + 1

    open_segment(initial_provider)
    for entry in ordered(entries):
        kind = entry.get("type")
        if kind == "provider_disconnected":
            provider = current or entry.get("provider") or initial_provider
            if is_failure(entry):
                codes = failures.setdefault(provider, {})
                key = code_key(entry.get("code"))
                codes[key] = codes.get(key, 0) + 1
            current = None
        elif kind == "provider_connected":
            if current != entry.get("provider"):
                open_segment(entry.get("provider") or initial_provider)
        elif kind == "provider_switched":
            key = code_key(entry.get("code"))
            causes[key] = causes.get(key, 0) + 1
            if current != entry.get("to"):
                open_segment(entry.get("to") or initial_provider)
        elif kind == "reconnect_attempt":
            reconnect_attempts += 1
    return {"connections": connections, "failures": failures, "switchCauses": causes,
            "reconnects": reconnect_attempts}


def switch_cause(entries: list[dict]) -> str | None:
    """The code key of the first switch's cause, "none" when it gave none, None without a switch."""
    for entry in ordered(entries):
        if entry.get("type") == "provider_switched":
            return code_key(entry.get("code"))
    return None
