"""The audit trail of admin reads (admin/audit.py): a session's detail, a CSV export, a page of
the session list, the per-day series of one learner and a learner's allowance each write exactly
one `admin_read` record, through the admin function's logger, with who read what and when;
nothing else does (the unfiltered series, learner routes, refused or failed reads)."""
from __future__ import annotations

import logging

import pytest

from apitest import data, end_session, error, start_session

AUDIT_KEYS = ["version", "action", "adminSub", "adminEmail", "at", "requestId", "sessionId", "learnerId",
              "filters", "rows", "truncated"]


def audit_records(lambda_logs) -> list[dict]:
    from admin.audit import AUDIT_MESSAGE

    return [r for r in lambda_logs() if r.get("message") == AUDIT_MESSAGE or "audit" in r]


@pytest.fixture
def alice(api):
    return api.as_user("alice", email="alice@example.com")


@pytest.fixture
def session_id(alice, clock, pump):
    """One ended coach session of alice's with a transcript and a correction."""
    started = start_session(alice, {"mode": "coach", "provider": "gemini", "topic": "food"})["sessionId"]
    clock.advance(60)
    end_session(alice, started, disconnectCode=1000,
                messages=[{"role": "user", "text": "Toi muon an pho", "timestamp": clock.now_ms() - 5000}],
                corrections=[{"original": "Toi", "correction": "Tôi", "category": "tone"}])
    pump.drain()
    return started


def test_reading_a_session_detail_writes_one_audit_record(admin, session_id, clock, lambda_logs):
    # The tests run the functions at WARNING (POWERTOOLS_LOG_LEVEL): the trail must not depend on it.
    assert logging.getLogger("admin").getEffectiveLevel() > logging.INFO
    clock.advance(7)
    body = data(admin.get(f"/api/admin/sessions/{session_id}"))
    assert [m["text"] for m in body["messages"]] == ["Toi muon an pho"]

    [record] = audit_records(lambda_logs)
    assert (record["message"], record["level"], record["service"]) == ("admin_read", "INFO", "admin")
    audit = record["audit"]
    assert list(audit) == AUDIT_KEYS
    assert audit == {"version": 1, "action": "session_detail", "adminSub": "root", "adminEmail": "root@example.com",
                     "at": clock.now_ms(), "requestId": audit["requestId"], "sessionId": session_id,
                     "learnerId": "alice", "filters": None, "rows": None, "truncated": None}
    # Written through the admin function's logger: the invocation's keys are on it.
    assert audit["requestId"] and record["correlation_id"] == audit["requestId"]
    assert record["function_name"] == "speakpho-admin" and record["function_request_id"]


def test_a_csv_export_writes_one_audit_record_with_its_filters_and_rows(admin, session_id, clock, lambda_logs):
    from admin.health_routes import FILTER_PARAMS

    response = admin.get("/api/admin/sessions/export.csv", query="from=2026-11-01&mode=coach&userId=alice")
    assert response.status == 200, response.body
    rows = int({k.lower(): v for k, v in response.headers.items()}["x-export-rows"])
    assert rows == 1

    [record] = audit_records(lambda_logs)
    audit = record["audit"]
    assert list(audit) == AUDIT_KEYS
    assert set(audit["filters"]) == FILTER_PARAMS
    assert audit == {"version": 1, "action": "sessions_export", "adminSub": "root", "adminEmail": "root@example.com",
                     "at": clock.now_ms(), "requestId": audit["requestId"], "sessionId": None, "learnerId": None,
                     "filters": {"from": "2026-11-01", "to": "2026-11-10", "provider": None, "mode": "coach",
                                 "hasDisconnect": None, "userId": "alice", "endedBy": None, "initialProvider": None,
                                 "status": None},
                     "rows": rows, "truncated": False}


def test_each_read_is_one_record(admin, session_id, lambda_logs):
    for _ in range(2):
        data(admin.get(f"/api/admin/sessions/{session_id}"))
    assert admin.get("/api/admin/sessions/export.csv").status == 200
    data(admin.get("/api/admin/sessions"))
    data(admin.get("/api/admin/users/alice/allowance"))
    assert [r["audit"]["action"] for r in audit_records(lambda_logs)] == [
        "session_detail", "session_detail", "sessions_export", "sessions_list", "allowance_read"]


def test_a_page_of_the_session_list_writes_one_record_with_its_learner_and_rows(admin, session_id, clock,
                                                                                lambda_logs):
    from admin.health_routes import FILTER_PARAMS

    page = data(admin.get("/api/admin/sessions", query="userId=alice&from=2026-11-01"))
    assert [s["userId"] for s in page["sessions"]] == ["alice"]
    data(admin.get("/api/admin/sessions"))                  # unfiltered: its rows name learners too
    first, second = [r["audit"] for r in audit_records(lambda_logs)]
    assert list(first) == AUDIT_KEYS and set(first["filters"]) == FILTER_PARAMS
    assert first == {"version": 1, "action": "sessions_list", "adminSub": "root", "adminEmail": "root@example.com",
                     "at": clock.now_ms(), "requestId": first["requestId"], "sessionId": None, "learnerId": "alice",
                     "filters": {"from": "2026-11-01", "to": "2026-11-10", "provider": None, "mode": None,
                                 "hasDisconnect": None, "userId": "alice", "endedBy": None, "initialProvider": None,
                                 "status": None},
                     "rows": 1, "truncated": None}
    assert (second["action"], second["learnerId"], second["filters"]["userId"]) == ("sessions_list", None, None)


def test_one_learners_series_and_allowance_reads_are_audited(admin, session_id, lambda_logs):
    data(admin.get("/api/admin/sessions/timeseries", query="userId=alice"))
    allowance = data(admin.get("/api/admin/users/alice/allowance"))
    series, read = [r["audit"] for r in audit_records(lambda_logs)]
    assert (series["action"], series["learnerId"], series["filters"]["userId"]) == ("sessions_timeseries", "alice",
                                                                                  "alice")
    assert list(read) == AUDIT_KEYS
    assert (read["action"], read["learnerId"], read["rows"]) == ("allowance_read", "alice", len(allowance["changes"]))
    assert (read["adminSub"], read["sessionId"], read["filters"]) == ("root", None, None)


def test_aggregates_and_learner_routes_write_no_audit_record(admin, alice, session_id, lambda_logs):
    data(admin.get("/api/admin/sessions/timeseries"))      # every learner's days, summed
    data(alice.get(f"/api/learning/session/{session_id}"))
    data(alice.get("/api/learning/history"))
    data(alice.get("/api/learning/corrections"))
    data(alice.get("/api/usage"))
    assert audit_records(lambda_logs) == []


def test_refused_or_failed_reads_write_no_audit_record(api, admin, alice, session_id, lambda_logs):
    error(alice.get(f"/api/admin/sessions/{session_id}"), 403)                  # a learner's token
    error(alice.get("/api/admin/sessions/export.csv"), 403)
    error(api.get(f"/api/admin/sessions/{session_id}"), 401)                    # no token
    assert error(admin.get("/api/admin/sessions/no-such-session"), 404)["code"] == "not_found"
    error(admin.get("/api/admin/sessions/export.csv", query="proivder=gemini"), 422)
    error(admin.get(f"/api/admin/sessions/{session_id}", query="x=1"), 422)
    error(alice.get("/api/admin/sessions", query="userId=alice"), 403)
    error(alice.get("/api/admin/users/alice/allowance"), 403)
    error(admin.get("/api/admin/sessions", query="userId=alice&proivder=gemini"), 422)
    error(admin.get("/api/admin/users/al%20ice/allowance"), 422)
    assert audit_records(lambda_logs) == []
