"""What must hold after a run under faults, read from dynoxide directly (faults off).

Each check returns a list of problems (empty: it holds), so a test can report every broken
invariant of a seed at once, each line naming the learner.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

from speakpho import ddb
from speakpho.tables import STATS_SK, is_correction_id
from speakpho.transcript import transcript_messages

from apitest import user_sessions
from faults_learner import CORRECTIONS, IMPORTED, LearnerReport


def scan(client, table: str, **kwargs) -> list[dict]:
    items, request = [], {"TableName": table, "ConsistentRead": True, **kwargs}
    while True:
        page = client.scan(**request)
        items += [ddb.deserialize(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def query(client, table: str, condition: str, values: dict, **kwargs) -> list[dict]:
    return ddb.query_all(client, TableName=table, KeyConditionExpression=condition,
                         ExpressionAttributeValues=ddb.values(values), **kwargs)


# --------------------------------------------------------------------------- metering
def elapsed_seconds(session: dict) -> int:
    return max(0, (int(session["endedAt"]) - int(session["startedAt"])) // 1000)


def check_charges(client, report: LearnerReport, sessions: list[dict]) -> list[str]:
    """Charged exactly once, for the session's own span: the period holds the sum of the
    sessions' charges, each charge is min(elapsed, remainingAtStart) as recorded at its end,
    and the answer the learner got says the same total. One keyed start makes one session,
    however often it was retried or re-run: the learner's only session is the one it got."""
    who, problems = report.user_id, []
    periods = query(client, "usage_periods", "userId = :u", {":u": who})
    meters = [p for p in periods if str(p["period"])[:2].isdigit() and len(str(p["period"])) == 7]
    if not sessions:
        return [f"{who}: a period row without sessions"] if any(p.get("secondsUsed") for p in meters) else []
    if len(meters) != 1:
        return [f"{who}: {len(meters)} period rows"]
    period = meters[0]
    if period.get("activeSessionId"):
        problems.append(f"{who}: period still has active session {period['activeSessionId']}")
    charged = sum(int(s.get("secondsUsed", 0)) for s in sessions)
    if int(period.get("secondsUsed", 0)) != charged:
        problems.append(f"{who}: period charged {period.get('secondsUsed')} s, sessions add up to {charged} s")
    for s in sessions:
        if s.get("status") != "ended":
            problems.append(f"{who}: session {s['sessionId']} is {s.get('status')}")
            continue
        expected = min(elapsed_seconds(s), int(s["remainingAtStart"]))
        if int(s["secondsUsed"]) != expected:
            problems.append(f"{who}: session {s['sessionId']} charged {s['secondsUsed']} s, its span is {expected} s")
    if report.ended and report.ended["totalSecondsUsed"] != int(period.get("secondsUsed", 0)):
        problems.append(f"{who}: end answered {report.ended['totalSecondsUsed']} s in all, "
                        f"the period holds {period.get('secondsUsed')} s")
    known = [s for s in sessions if s["sessionId"] == report.session_id]
    if report.session_id and not known:
        problems.append(f"{who}: the started session {report.session_id} is not in the table")
    for s in sessions:
        if s["sessionId"] != report.session_id:
            problems.append(f"{who}: session {s['sessionId']} (ended {s.get('endReason')}) was never answered "
                            f"to the learner: one keyed start made {len(sessions)} sessions")
    return problems


# --------------------------------------------------------------------------- transcript
def check_transcript(client, report: LearnerReport, sessions: list[dict]) -> list[str]:
    """The ended session holds the transcript complete, in order, once; and its corrections once."""
    if not report.session_id or report.end_status != 200:
        return []
    who, sid, problems = report.user_id, report.session_id, []
    session = next((s for s in sessions if s["sessionId"] == sid), None)
    if session is None or not session.get("contentStoredAt"):
        return [f"{who}: session {sid} has no content recorded"]
    stored = transcript_messages(query(client, "session_messages", "sessionId = :s", {":s": sid},
                                       ConsistentRead=True))
    got = [(m["seq"], m["role"], m["text"]) for m in stored]
    sent = [(i, m["role"], m["text"]) for i, m in enumerate(report.messages)]
    if got != sent:
        problems.append(f"{who}: transcript of {sid} differs: {len(got)} stored, {len(sent)} sent")
    if int(session.get("messageCount", -1)) != len(sent):
        problems.append(f"{who}: messageCount {session.get('messageCount')} != {len(sent)}")
    corrections = query(client, "corrections", "sessionId = :s", {":s": sid}, IndexName="corrections_by_session")
    if sorted(int(c["correctionIndex"]) for c in corrections) != list(range(CORRECTIONS)):
        problems.append(f"{who}: {len(corrections)} corrections stored for {sid}, {CORRECTIONS} sent")
    return problems


# --------------------------------------------------------------------------- corrections
def check_corrections(client, report: LearnerReport) -> list[str]:
    """The import sent twice created each correction once; each review applied at most once,
    and exactly once when answered; the learner's counters match the items."""
    who, problems = report.user_id, []
    items = query(client, "corrections", "userId = :u", {":u": who}, ConsistentRead=True)
    stats = next((i for i in items if i["correctionId"] == STATS_SK), {})
    items = [i for i in items if is_correction_id(i["correctionId"])]   # not #stats, not #memory
    imported = sorted(i["original"] for i in items if i.get("source") == "import")
    if imported != sorted(c["original"] for c in report.imported):
        problems.append(f"{who}: {len(imported)} imported corrections, {IMPORTED} distinct ones sent")
    if int(stats.get("total", 0)) != len(items):
        problems.append(f"{who}: counter total {stats.get('total')} != {len(items)} corrections")
    for category in {i.get("category") for i in items if i.get("category")}:
        count = sum(1 for i in items if i.get("category") == category)
        if int(stats.get(f"cat_{category}", 0)) != count:
            problems.append(f"{who}: counter cat_{category} {stats.get(f'cat_{category}')} != {count}")
    if int(stats.get("reviewed", 0)) != sum(1 for i in items if i.get("reviewed")):
        problems.append(f"{who}: counter reviewed {stats.get('reviewed')} != reviewed items")
    by_id = {i["correctionId"]: i for i in items}
    for cid, status in report.reviews.items():
        item = by_id.get(cid, {})
        reviews = int(item.get("version", 1)) - 1      # each review bumps version once
        if reviews > 1 or (status == 200 and reviews != 1):
            problems.append(f"{who}: correction {cid} reviewed {reviews} times for one key (answer {status})")
        answer = report.review_answers.get(cid)
        if answer is not None:   # the answer (first or replayed) is the review that was stored
            stored = {"reviewed": item.get("reviewed"), "reviewedAt": item.get("reviewedAt"),
                      "confidenceLevel": item.get("confidenceLevel"), "nextReviewAt": item.get("nextReviewAt")}
            if {k: answer.get(k) for k in stored} != stored:
                problems.append(f"{who}: correction {cid} answered {answer}, stored {stored}")
    return problems


# --------------------------------------------------------------------------- rollups
def contribution_function():
    """admin's own `contribution` (admin.health, or the module of the admin.health package
    that holds it now that it is being split up); None when it cannot be found."""
    try:
        health = importlib.import_module("admin.health")
    except ImportError:
        return None
    if hasattr(health, "contribution"):
        return health.contribution
    for module in pkgutil.iter_modules(getattr(health, "__path__", [])):
        candidate = importlib.import_module(f"admin.health.{module.name}")
        if hasattr(candidate, "contribution"):
            return candidate.contribution
    return None


def _own_contribution(session: dict) -> tuple[str, str, dict]:
    """Fallback recount over the same cell key (admin.health's docstring)."""
    day = session["startDay"]
    code = session.get("disconnectCode")
    ended = session.get("status") == "ended"
    switches = int(session.get("switchCount") or 0)
    values = {"sessions": 1, "endedSessions": int(ended), "switchedSessions": int(switches > 0),
              "switchCountSum": switches,
              "durationSecondsSum": (int(session["endedAt"]) - int(session["startedAt"])) / 1000 if ended else 0}
    if ended and session.get("endReason"):
        values[f"endReason_{session['endReason']}"] = 1
    return (f"month#{day[:7]}", f"{day}#{session.get('provider')}#{session.get('mode')}#"
            f"{'none' if code is None else int(code)}", values)


def _month(pk: str) -> str:
    """The month partition a cell's key names, whichever of its write shards (`month#YYYY-MM#n`)."""
    return "#".join(str(pk).split("#")[:2])


def check_rollups(client) -> list[str]:
    """Every rollup cell equals a recount from the sessions table (the write shards of a month
    added up: which shard a session's contribution lands in is the processor's business)."""
    contribution = contribution_function()
    expected: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(float))
    for session in scan(client, "sessions"):
        if contribution is not None:
            part = contribution(session)
            key, values = (part.pk, part.sk), part.values
        else:  # TODO: drop once admin.health's layout settles
            pk, sk, values = _own_contribution(session)
            key = (pk, sk)
        for name, value in values.items():
            expected[(_month(key[0]), key[1])][name] += value
    cells: dict[tuple[str, str], dict] = defaultdict(dict)
    for cell in scan(client, "session_rollups"):
        if str(cell["pk"]).startswith("month#"):
            summed = cells[(_month(cell["pk"]), cell["sk"])]
            for name, value in cell.items():
                if name not in ("pk", "sk") and hasattr(value, "as_integer_ratio"):   # numbers (Decimal too)
                    summed[name] = summed.get(name, 0) + value
    problems = [] if cells else ["no rollup cells at all: the stream pump delivered nothing"]
    for key in sorted(set(expected) | set(cells)):
        want = {k: round(v, 3) for k, v in expected.get(key, {}).items() if round(v, 3)}
        have = {k: round(float(v), 3) for k, v in cells.get(key, {}).items() if k not in ("pk", "sk") and v}
        if want != have:
            problems.append(f"rollup cell {key[1]}: {have} but the sessions recount to {want}")
    return problems


def check_seed(client, reports: list[LearnerReport]) -> list[str]:
    problems = []
    for report in reports:
        sessions = user_sessions(client, report.user_id)
        problems += check_charges(client, report, sessions)
        problems += check_transcript(client, report, sessions)
        problems += check_corrections(client, report)
    active = [s["sessionId"] for s in scan(client, "sessions") if s.get("status") == "active"]
    if active:
        problems.append(f"sessions left active: {active}")
    return problems + check_rollups(client)
