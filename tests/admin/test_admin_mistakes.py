"""GET /api/admin/corrections/stats and its CSV through the gateway, with the corrections
table's stream pumped to admin/mistakes_stream.py as make dev does: counts by category, top
pairs with their learners, lapses from reviews rated Again; a replay of the whole stream
counts nothing twice; the 422s and a learner's 403; the read's cost follows the days."""
from __future__ import annotations

import csv
import io

import pytest

from admin_helpers import user
from apitest import count_requests, data, end_session, error, start_session

PHO = {"original": "Tôi muốn ăn phở", "correction": "Em muốn ăn phở", "category": "vocabulary"}
HELLO = {"original": "xin chao", "correction": "xin chào", "category": "tone"}
ORDER = {"original": "Tôi phở ăn", "correction": "Tôi ăn phở", "category": "word_order"}


@pytest.fixture
def mistakes_pump(api, dynamodb):
    from infra.catalog import MISTAKES
    from local.streams import StreamPump
    from speakpho.table_setup import table_name
    from speakpho.tables import CORRECTIONS

    return StreamPump(api.gateway, dynamodb, table=table_name(CORRECTIONS), consumer=MISTAKES, name="mistakes")


def practise(learner, clock, corrections: list[dict], topic: str = "food", difficulty: str = "beginner") -> str:
    session_id = start_session(learner, {"mode": "coach", "provider": "gemini", "topic": topic,
                                         "difficulty": difficulty})["sessionId"]
    clock.advance(60)
    end_session(learner, session_id, disconnectCode=1000, corrections=corrections,
                messages=[{"role": "user", "text": "Xin chào", "timestamp": 1}])
    return session_id


def stats(admin, query: str = "") -> dict:
    return data(admin.get("/api/admin/corrections/stats", query=query))


@pytest.fixture
def practised(api, clock, mistakes_pump):
    """alice and bob make the phở mistake (bob twice, in two sessions), bob the tone one; carol
    a word-order one in a travel session at the advanced level."""
    alice, bob, carol = (user(api, n) for n in ("alice", "bob", "carol"))
    practise(alice, clock, [PHO])
    practise(bob, clock, [PHO, HELLO])
    practise(bob, clock, [PHO])
    practise(carol, clock, [ORDER], topic="Travel", difficulty="advanced")
    assert mistakes_pump.drain() >= 5
    return {"alice": alice, "bob": bob, "carol": carol}


def test_admins_see_counts_by_category_and_the_top_pairs_with_their_learners(practised, admin):
    answer = stats(admin)
    assert answer["byCategory"] == {"tone": 1, "vocabulary": 3, "word_order": 1}
    assert answer["topPairs"][0] == {**PHO, "count": 3, "learners": 2}
    assert {(p["original"], p["count"], p["learners"]) for p in answer["topPairs"][1:]} == {
        (HELLO["original"], 1, 1), (ORDER["original"], 1, 1)}
    assert answer["lapsesByCategory"] == {}


@pytest.mark.parametrize("query, by_category", [
    ("topic=food", {"tone": 1, "vocabulary": 3}),
    ("topic=TRAVEL", {"word_order": 1}),                 # compared case-folded
    ("difficulty=advanced", {"word_order": 1}),
    ("topic=food&difficulty=advanced", {}),
    ("from=2026-11-11&to=2026-11-12", {}),              # other days
])
def test_the_filters_pick_their_cells(practised, admin, query, by_category):
    assert stats(admin, query)["byCategory"] == by_category


def test_a_review_rated_again_is_a_lapse_of_its_category_once(practised, admin, clock, mistakes_pump):
    bob = practised["bob"]
    listed = data(bob.get("/api/learning/corrections"))["corrections"]
    tone = next(c for c in listed if c["category"] == "tone")
    clock.advance(3600)
    for level in (0, 4):                                  # Again, then Good: one lapse
        data(bob.patch(f"/api/learning/corrections/{tone['id']}", {"confidenceLevel": level}))
    mistakes_pump.drain()
    assert stats(admin)["lapsesByCategory"] == {"tone": 1}
    assert stats(admin)["byCategory"]["tone"] == 1        # a review adds no correction


def test_replaying_the_whole_stream_counts_nothing_twice(practised, admin, api, dynamodb, mistakes_pump):
    from infra.catalog import MISTAKES
    from local.streams import StreamPump
    from speakpho.table_setup import table_name
    from speakpho.tables import CORRECTIONS

    first = stats(admin)
    replay = StreamPump(api.gateway, dynamodb, table=table_name(CORRECTIONS), consumer=MISTAKES, name="mistakes")
    assert replay.drain() == mistakes_pump.records_delivered     # no position: the stream from its start
    assert stats(admin) == first


def test_the_csv_has_the_same_figures_and_is_audited(practised, admin, caplog):
    response = admin.get("/api/admin/corrections/export.csv", query="topic=food")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.body)))
    assert {(r["kind"], r["category"], r["count"]) for r in rows if r["kind"] == "corrections"} == {
        ("corrections", "tone", "1"), ("corrections", "vocabulary", "3")}
    pho = next(r for r in rows if r["kind"] == "pair" and r["original"] == PHO["original"])
    assert (pho["correction"], pho["count"], pho["learners"]) == (PHO["correction"], "3", "2")
    audits = [r.audit for r in caplog.records if getattr(r, "audit", None)]
    assert audits and audits[-1]["action"] == "corrections_export" and audits[-1]["rows"] == len(rows)
    assert audits[-1]["filters"]["topic"] == "food"


@pytest.mark.parametrize("query, field", [
    ("from=2025-01-01&to=2026-01-02", "query.to"),       # 367 days
    ("from=2026-11-10&to=2026-11-01", "query.from"),
    ("from=2026-13-01", "query.from"),
    ("difficulty=expert", "query.difficulty"),
    ("topics=food", "query.topics"),                     # a mistyped filter is refused, not ignored
])
@pytest.mark.parametrize("path", ["/api/admin/corrections/stats", "/api/admin/corrections/export.csv"])
def test_bad_filters_are_422(api, admin, path, query, field):
    found = error(admin.get(path, query=query), 422)
    assert field in str(found)


@pytest.mark.parametrize("path", ["/api/admin/corrections/stats", "/api/admin/corrections/export.csv"])
def test_a_learner_is_refused(api, path):
    assert user(api, "alice").get(path).status == 403


def test_a_session_end_costs_the_stream_one_transaction_and_a_write_per_top_map(api, admin, clock, dynamodb,
                                                                                 mistakes_pump):
    """docs/admin.md "Common mistakes", cost: the ledger rows and the session read together, the
    five corrections counted in one transaction, the four cells' top maps read together and
    written once each; a second end in the same cells and pairs writes the same (in its own
    batch's write shard); the stats merge the shards."""
    from admin.mistakes_store import mistakes_store
    from speakpho.config import get_settings

    five = [{**PHO, "original": f"{PHO['original']} {i}"} for i in range(5)]
    for name in ("alice", "bob"):
        practise(user(api, name), clock, five)
        with count_requests(dynamodb) as meter:
            assert mistakes_pump.drain() >= 5           # + the learner's own rows (#stats...)
        items = {op: n for op, n in meter.ops.items() if op != "DescribeTable"}     # the pump's stream lookup
        assert items == {"BatchGetItem": 3, "TransactWriteItems": 1, "UpdateItem": 4}, meter.ops
    # Each end was a batch of its own, counted in the batch's write shard (its first correction's):
    # one or two of the shards hold the day's cell, and their top maps add up to the two ends.
    cells = [("2026-11-10", "*", "*", n) if n else ("2026-11-10", "*", "*")
             for n in range(get_settings().mistakes_shards)]
    tops, _ = mistakes_store().refresh_rows(cells, [])
    written = [cell for cell in cells if tops.get(cell) and tops[cell][0]]
    assert 1 <= len(written) <= 2
    totals: dict = {}
    for cell in written:
        for pair, entry in tops[cell][0].items():
            totals[pair] = totals.get(pair, 0) + entry["n"]
    assert sorted(totals.values()) == [2] * 5
    assert [p["count"] for p in stats(admin, "from=2026-11-10&to=2026-11-10")["topPairs"]] == [2] * 5


@pytest.mark.parametrize("days", [7, 366])
def test_the_reads_follow_the_months_not_the_corrections(practised, admin, dynamodb, days):
    from datetime import date, timedelta

    to = date(2026, 11, 10)
    query = f"from={(to - timedelta(days=days - 1)).isoformat()}&to={to.isoformat()}"
    with count_requests(dynamodb) as meter:
        stats(admin, query)
    from speakpho.config import get_settings

    months = 1 if days == 7 else 13          # 2026-11-04..10; 2025-11-10..2026-11-10
    shards = get_settings().mistakes_shards  # every write shard of each month (MISTAKES_SHARDS, 15)
    assert meter.total == months * shards and set(meter.ops) == {"Query"}
