"""What admins see of a session's story, through the API (local gateway, moto):

    day         user   what
    2026-11-08  dave   made-up codes: a 1234 and a 4999 disconnect, a switch citing 1234, the end with 4999
    2026-11-09  alice  the seed's scenario: Gemini connects, drops with 1011, a reconnect attempt, the
                       switch to OpenAI citing 1011, OpenAI connects, the learner ends normally (1000)
    2026-11-10  bob    swept: a heartbeat, then silence (client_vanished / timeout)
    2026-11-10  carol  still live (status active)
"""
from __future__ import annotations

import csv
import io

import pytest

from admin_helpers import at, dataset_environment, user
from apitest import T0, client_event, count_requests, data, end_session, send_events, start_session, switch_provider

SEED_DAY = "from=2026-11-09&to=2026-11-09"
START = at("2026-11-09", 10)


def build_story(api, clock, pump) -> dict[str, str]:
    from infra.catalog import SWEEPER

    alice, bob, carol, dave = (user(api, n) for n in ("alice", "bob", "carol", "dave"))
    ids: dict[str, str] = {}

    clock.set(at("2026-11-08", 9))
    ids["madeup"] = sid = start_session(dave, {"mode": "coach", "provider": "gemini"})["sessionId"]
    base = clock.now_ms()
    clock.advance(30)
    send_events(dave, sid, [client_event("provider_disconnected", base + 10_000, code=1234, reason="odd"),
                            client_event("provider_disconnected", base + 20_000, code=4999, reason="quota")])
    switch_provider(dave, sid, "openai", 1234)
    clock.advance(30)
    end_session(dave, sid, provider="openai", disconnectCode=4999)

    clock.set(START)
    ids["seed"] = sid = start_session(alice, {"mode": "coach", "provider": "gemini"})["sessionId"]
    clock.advance(60)
    send_events(alice, sid, [client_event("provider_connected", START + 1_000, connectMs=420),
                             client_event("provider_disconnected", START + 30_000, code=1011,
                                          reason="Internal error"),
                             client_event("reconnect_attempt", START + 32_000)])
    switch_provider(alice, sid, "openai", 1011, disconnectReason="Internal error")
    clock.advance(5)
    send_events(alice, sid, [client_event("provider_connected", START + 64_000, "openai", connectMs=380)])
    clock.advance(115)
    end_session(alice, sid, provider="openai", disconnectCode=1000)

    clock.set(at("2026-11-10", 10))
    ids["swept"] = sid = start_session(bob, {"mode": "free", "provider": "gemini"})["sessionId"]
    clock.advance(30)
    data(bob.post("/api/session/heartbeat", {"sessionId": sid}))
    clock.advance(300)
    api.gateway.invoke(SWEEPER.handler, {"source": "test"}, name="sweeper")

    clock.set(at("2026-11-10", 11))
    ids["live"] = sid = start_session(carol, {"mode": "free", "provider": "openai"})["sessionId"]
    clock.advance(20)
    send_events(carol, sid, [client_event("provider_connected", clock.now_ms() - 5_000, "openai", connectMs=640)])

    clock.set(T0)
    pump.drain()
    return ids


@pytest.fixture(scope="module")
def dataset():
    """This module's sessions (conftest's dataset_admin reads them)."""
    yield from dataset_environment(build_story)


def listing(dataset_admin, query: str) -> dict:
    return data(dataset_admin.get("/api/admin/sessions", query=query))


def csv_rows(dataset_admin, query: str) -> list[dict]:
    response = dataset_admin.get("/api/admin/sessions/export.csv", query=query)
    assert response.status == 200, response.body
    return list(csv.DictReader(io.StringIO(response.body)))


# --------------------------------------------------------------------------- the seed's scenario
def test_the_providers_failure_is_charged_to_the_provider_it_ran_on(dataset_admin, dataset):
    stats = listing(dataset_admin, SEED_DAY)["stats"]
    assert stats["providerReliability"] == {
        "gemini": {"connections": 1, "failures": 1, "failuresByCode": {"1011": 1}, "failureRate": 1.0},
        "openai": {"connections": 1, "failures": 0, "failuresByCode": {}, "failureRate": 0}}
    assert stats["switchCauses"] == {"1011": 1}
    assert stats["byInitialProvider"] == {"gemini": {"sessions": 1, "switchedAway": 1, "failedSessions": 1},
                                          "openai": {"sessions": 0, "switchedAway": 0, "failedSessions": 0}}
    assert stats["endedByBreakdown"]["learner"] == 1 and sum(stats["endedByBreakdown"].values()) == 1
    assert stats["endReasonBreakdown"] == {"user_ended": 1}
    assert stats["disconnectBreakdown"] == {"1000": 1}
    assert stats["creditedSeconds"] == 30            # down from the 1011 (+30 s) to the switch (+60 s)


def test_the_row_csv_and_detail_show_the_story(dataset_admin, dataset):
    sid = dataset.ids["seed"]
    row, = listing(dataset_admin, SEED_DAY)["sessions"]
    assert {k: row[k] for k in ("id", "status", "endedBy", "endReason", "switchCause", "reconnects",
                                "creditedSeconds", "initialProvider", "provider", "minutesUsed")} == {
        "id": sid, "status": "ended", "endedBy": "learner", "endReason": "user_ended", "switchCause": "1011",
        "reconnects": 1, "creditedSeconds": 30, "initialProvider": "gemini", "provider": "openai",
        "minutesUsed": 2.5}                          # 180 s less the 30 s credit
    line, = csv_rows(dataset_admin, SEED_DAY)
    assert {k: line[k] for k in ("id", "endedBy", "switchCause", "initialProvider", "reconnects",
                                 "creditedSeconds")} == {
        "id": sid, "endedBy": "learner", "switchCause": "1011", "initialProvider": "gemini", "reconnects": "1",
        "creditedSeconds": "30"}

    body = data(dataset_admin.get(f"/api/admin/sessions/{sid}"))
    assert (body["session"]["endedBy"], body["session"]["creditedSeconds"]) == ("learner", 30)
    timeline = body["timeline"]
    assert [(e["type"], e["source"], e["at"] - START) for e in timeline] == [
        ("started", "server", 0), ("access_granted", "server", 0), ("provider_connected", "client", 1_000),
        ("provider_disconnected", "client", 30_000), ("reconnect_attempt", "client", 32_000),
        ("provider_switched", "server", 60_000), ("provider_connected", "client", 64_000),
        ("ended", "server", 180_000)]
    assert [(e.get("provider"), e.get("code"), e.get("label")) for e in timeline] == [
        ("gemini", None, None), ("gemini", None, None), ("gemini", None, None), ("gemini", 1011, "Server error"),
        ("gemini", None, None),
        (None, 1011, "Server error"), ("openai", None, None), (None, 1000, "Normal closure")]
    dropped, switched, ended = timeline[3], timeline[5], timeline[7]
    assert dropped["reason"] == "Internal error" and dropped["receivedAt"] == START + 60_000
    assert (switched["from"], switched["to"], switched["reason"]) == ("gemini", "openai", "Internal error")
    assert (ended["endReason"], ended["endedBy"]) == ("user_ended", "learner")
    assert timeline[2]["connectMs"] == 420
    assert all("eventId" not in e for e in timeline)


def test_the_time_series_counts_failures_by_provider_and_switches(dataset_admin, dataset):
    day, = data(dataset_admin.get("/api/admin/sessions/timeseries", query=SEED_DAY))["series"]
    assert (day["failuresByProvider"], day["switches"], day["switchedSessions"]) == (
        {"gemini": 1, "openai": 0}, 1, 1)


# --------------------------------------------------------------------------- swept, live
def test_a_swept_session_shows_client_vanished_and_a_live_one_is_active(dataset_admin, dataset):
    swept = listing(dataset_admin, "endedBy=client_vanished")
    assert [(r["id"], r["endReason"], r["status"]) for r in swept["sessions"]] == [
        (dataset.ids["swept"], "timeout", "ended")]
    assert swept["stats"]["endedByBreakdown"]["client_vanished"] == 1
    assert swept["stats"]["creditedSeconds"] == 0     # no credit for a session the server closed
    live = listing(dataset_admin, "status=active")
    assert [(r["id"], r["status"], r["endedBy"]) for r in live["sessions"]] == [(dataset.ids["live"], "active", None)]
    assert (live["stats"]["totalSessions"], live["stats"]["endedSessions"]) == (1, 0)
    assert live["stats"]["byInitialProvider"]["openai"]["sessions"] == 1
    ended = listing(dataset_admin, "from=2026-11-08&status=ended")
    assert {r["id"] for r in ended["sessions"]} == {dataset.ids[n] for n in ("madeup", "seed", "swept")}
    assert ended["stats"]["totalSessions"] == 3
    openai = listing(dataset_admin, "from=2026-11-08&initialProvider=openai")
    assert [r["id"] for r in openai["sessions"]] == [dataset.ids["live"]]


def test_a_live_sessions_detail_shows_the_events_still_in_their_batches(dataset_admin, dataset):
    """A live session's events wait in their batches (speakpho.metering.fold): its detail adds
    them to the timeline (one Query more); an ended one's are on the item."""
    with count_requests(dataset.client) as detail:
        live = data(dataset_admin.get(f"/api/admin/sessions/{dataset.ids['live']}"))
    assert [(e["type"], e.get("connectMs")) for e in live["timeline"] if e["source"] == "client"] == [
        ("provider_connected", 640)]
    assert detail.names() == ["GetItem", "Query", "Query", "Query"]   # + the batches
    from speakpho import ddb

    item = ddb.deserialize(dataset.client.get_item(TableName="sessions",
                                                   Key=ddb.serialize({"sessionId": dataset.ids["live"]}))["Item"])
    assert not [e for e in item["story"] if e["source"] == "client"]     # not on the item yet


# --------------------------------------------------------------------------- made-up codes
def test_made_up_close_codes_make_no_cell_key_or_counter_of_their_own(dataset_admin, dataset):
    from speakpho import ddb

    items = [ddb.deserialize(i) for i in dataset.client.scan(TableName="session_rollups")["Items"]]
    cells = [i for i in items if i["pk"].startswith("month#") and i["sk"].startswith("2026-11-08")]
    # The cells it passed through while live (left at zero), and the one it counts in.
    assert {c["sk"]: c["sessions"] for c in cells} == {"2026-11-08#gemini#coach#clean#gemini#active": 0,
                                                       "2026-11-08#openai#coach#clean#gemini#active": 0,
                                                       "2026-11-08#openai#coach#abnormal#gemini#provider": 1}
    for item in items:
        text = repr(sorted(item)) + item["sk"]
        assert "1234" not in text and "4999" not in text
    stats = listing(dataset_admin, "from=2026-11-08&to=2026-11-08")["stats"]
    assert stats["disconnectBreakdown"] == {"other": 1}
    assert stats["switchCauses"] == {"other": 1}
    # 4999 is in the provider's range (a failure); 1234 has no known side (not one).
    assert stats["providerReliability"]["gemini"]["failuresByCode"] == {"other": 1}
    assert stats["endedByBreakdown"]["provider"] == 1
    row, = listing(dataset_admin, "from=2026-11-08&to=2026-11-08")["sessions"]
    assert (row["disconnectCode"], row["switchCause"]) == (4999, "other")     # the row keeps the exact code
    assert "other" in stats["closeCodes"]


# --------------------------------------------------------------------------- requests
def test_request_budgets(dataset_admin, dataset):
    with count_requests(dataset.client) as detail:
        data(dataset_admin.get(f"/api/admin/sessions/{dataset.ids['seed']}"))
    assert detail.names() == ["GetItem", "Query", "Query"]      # session, messages, corrections (budget 4)
    with count_requests(dataset.client) as series:
        data(dataset_admin.get("/api/admin/sessions/timeseries", query="from=2026-10-01&to=2026-11-10&status=ended"))
    from speakpho.config import get_settings

    shards = get_settings().rollup_shards
    assert series.names() == ["Query"] * 2 * shards    # one per shard of each month
    with count_requests(dataset.client) as page:
        listing(dataset_admin, "from=2026-11-08&endedBy=learner&initialProvider=gemini")
    assert page.names().count("Query") <= shards + 3   # the month's cells, then the matching day and today/yesterday
    # each day Query that found keys, one BatchGetItem of their items; nothing else
    assert 1 <= page.names().count("BatchGetItem") <= page.names().count("Query") - shards
    assert set(page.names()) == {"Query", "BatchGetItem"}


# --------------------------------------------------------------------------- hasDisconnect and hadDrop
@pytest.mark.parametrize("query, expected", [
    # The seed's session dropped on Gemini with a 1011, went on with OpenAI and ended with 1000:
    # "ended with a disconnect code" does not find it, "had a drop" does.
    ("provider=openai&hasDisconnect=true", set()),
    ("provider=openai&hadDrop=true", {"seed"}),
    ("hadDrop=false", set()),
])
def test_had_drop_finds_a_drop_the_end_code_does_not_show(dataset_admin, dataset, query, expected):
    page = listing(dataset_admin, f"{SEED_DAY}&{query}")
    assert {r["id"] for r in page["sessions"]} == {dataset.ids[n] for n in expected}
    assert all(r["hadDrop"] is ("hadDrop=true" in query) for r in page["sessions"])
    assert {r["id"] for r in csv_rows(dataset_admin, f"{SEED_DAY}&{query}")} == {dataset.ids[n] for n in expected}


def test_a_swept_session_has_no_end_code_and_no_drop(dataset_admin, dataset):
    """The swept session ("No end (timed out)" on the page) is in neither filter's true side."""
    rows = listing(dataset_admin, "from=2026-11-10&to=2026-11-10")["sessions"]
    swept = next(r for r in rows if r["id"] == dataset.ids["swept"])
    assert (swept["disconnectCode"], swept["hadDrop"], swept["endedBy"]) == (None, False, "client_vanished")
    for query in ("hasDisconnect=true", "hadDrop=true"):
        found = listing(dataset_admin, f"from=2026-11-10&to=2026-11-10&{query}")["sessions"]
        assert dataset.ids["swept"] not in {r["id"] for r in found}, query
