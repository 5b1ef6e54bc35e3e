"""The sessions table's indexes carry only what their readers use (issue 22 "Scale" §2): keys
only for the admin lists, the history list's fields for the learner's history, never the story.

On moto and on dynoxide (both project KEYS_ONLY and INCLUDE indexes on Query), a session with a
story is read back through each index; on dynoxide, which reports each index's consumed
capacity (ReturnConsumedCapacity=INDEXES) as DynamoDB does (an index is written only when the
item's key attributes or projected attributes change), the story's writes write no index entry.
"""
from __future__ import annotations

import uuid
from collections import defaultdict

import pytest

from apitest import (ApiClient, client_event, data, end_session, grant_access_again, send_events, start_session,
                     stored_session, switch_provider)
from speakpho import ddb, reader_indexes
from speakpho.tables import HISTORY_VIEW_ATTRIBUTES, SESSIONS

TABLE_KEYS = {SESSIONS.partition_key.name}
INDEXES = {index.name: index for index in SESSIONS.indexes}
WRITE_OPS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


@pytest.fixture(params=["moto", "dynoxide"])
def engine(request):
    """The shared client on moto or on dynoxide, every table created from speakpho.tables."""
    if request.param == "moto":
        return request.getfixturevalue("dynamodb")
    return request.getfixturevalue("real_dynamodb")


@pytest.fixture
def learner(engine, clock, providers):
    from local.gateway import Gateway

    return ApiClient(Gateway()).as_user(f"ix-{uuid.uuid4().hex[:8]}")


def index_keys(index) -> set[str]:
    return {index.partition_key.name, *([index.sort_key.name] if index.sort_key else [])}


def a_story(learner, clock) -> str:
    """A session with a story: events, a switch, the end with a transcript."""
    sid = start_session(learner, {"mode": "coach", "provider": "gemini", "topic": "food"})["sessionId"]
    begun = clock.now_ms()
    clock.advance(40)
    send_events(learner, sid, [client_event("provider_connected", begun + 1_000, connectMs=300),
                               client_event("provider_disconnected", begun + 20_000, code=1011, reason="x")])
    switch_provider(learner, sid, "openai", 1011)
    clock.advance(40)
    end_session(learner, sid, provider="openai", disconnectCode=1000,
                messages=[{"role": "user", "text": "Xin chào", "timestamp": 1}])
    return sid


def index_entry(client, index_name: str, item: dict) -> dict:
    index = INDEXES[index_name]
    found = ddb.query_all(client, TableName="sessions", IndexName=index_name,
                          KeyConditionExpression="#k = :v", ExpressionAttributeNames={"#k": index.partition_key.name},
                          ExpressionAttributeValues=ddb.values({":v": item[index.partition_key.name]}))
    entry, = [e for e in found if e["sessionId"] == item["sessionId"]]
    return entry


def test_each_index_returns_exactly_its_projection_and_never_the_story(engine, learner, clock):
    item = stored_session(a_story(learner, clock))
    assert len(item["story"]) >= 4 and {"eventIds", "switchCount", "disconnectCode"} <= set(item)
    projected = {name: TABLE_KEYS | index_keys(index) | (set(index.projected or ()) & set(item))
                 for name, index in INDEXES.items()}
    assert projected == {
        "sessions_by_day_keys": {"sessionId", "startDay", "startedAt"},
        "sessions_by_user_keys": {"sessionId", "userId", "startedAt"},
        "learning_history_view": {"sessionId", "historyUser", "historySeq", *HISTORY_VIEW_ATTRIBUTES},
    }
    for name in INDEXES:
        entry = index_entry(engine, name, item)
        assert set(entry) == projected[name], name
        assert entry == {k: item[k] for k in projected[name]}, name
    # The history list's entry reads only what its index projects: the same from the index as
    # from the whole item.
    from learning.history import history_entry

    view = index_entry(engine, reader_indexes.LEARNING_HISTORY, item)
    assert history_entry(view) == history_entry(item)
    assert history_entry(view)["minutesUsed"] > 0 and history_entry(view)["messageCount"] == 1


def test_the_readers_query_the_tables_indexes_and_can_read_what_they_ask():
    """Each reader's index (speakpho.reader_indexes) exists with the projection its reader
    expects: the admin readers take keys and read the items; the history readers read the
    history view's fields, and the erasure asks a GSI for nothing it does not project."""
    from learning.erasure_store import SESSION_FIELDS

    assert INDEXES[reader_indexes.SESSIONS_BY_DAY].projected == ()
    assert INDEXES[reader_indexes.SESSIONS_BY_USER].projected == ()
    history = INDEXES[reader_indexes.LEARNING_HISTORY]
    asked = {f.strip().replace("#status", "status") for f in SESSION_FIELDS.split(",")}
    assert asked <= TABLE_KEYS | index_keys(history) | set(history.projected)


class IndexCapacity:
    """The consumed capacity of every write the shared client sends, per table and index
    (ReturnConsumedCapacity=INDEXES on each write request)."""

    def __init__(self, client) -> None:
        self.client, self.calls = client, []

    def _ask(self, params, model, **_):
        if model.name in WRITE_OPS:
            params["ReturnConsumedCapacity"] = "INDEXES"

    def _record(self, parsed, model, **_):
        if model.name in WRITE_OPS:
            consumed = parsed.get("ConsumedCapacity") or []
            self.calls.append((model.name, [consumed] if isinstance(consumed, dict) else consumed))

    def __enter__(self):
        self.client.meta.events.register("provide-client-params.dynamodb.*", self._ask)
        self.client.meta.events.register("after-call.dynamodb.*", self._record)
        return self

    def __exit__(self, *exc):
        self.client.meta.events.unregister("provide-client-params.dynamodb.*", self._ask)
        self.client.meta.events.unregister("after-call.dynamodb.*", self._record)

    def take(self) -> dict[str, float]:
        """Units by "table" and "table/index" since the last take."""
        units: dict[str, float] = defaultdict(float)
        for _, consumed in self.calls:
            for entry in consumed:
                table = entry["TableName"]
                units[table] += float((entry.get("Table") or {}).get("CapacityUnits") or 0)
                for index, used in (entry.get("GlobalSecondaryIndexes") or {}).items():
                    units[f"{table}/{index}"] += float(used.get("CapacityUnits") or 0)
        self.calls.clear()
        return {k: v for k, v in units.items() if v}


def test_the_story_writes_no_index_entry_and_only_the_end_rewrites_the_history_view(real_dynamodb, clock,
                                                                                     providers):
    from local.gateway import Gateway

    user_id = f"ix-{uuid.uuid4().hex[:8]}"
    learner = ApiClient(Gateway()).as_user(user_id)
    with IndexCapacity(real_dynamodb) as capacity:
        sid = start_session(learner, {"mode": "coach", "provider": "gemini"})["sessionId"]
        started = capacity.take()
        begun = clock.now_ms()
        clock.advance(40)
        send_events(learner, sid, [client_event("provider_connected", begun + 1_000, connectMs=300),
                                   client_event("provider_disconnected", begun + 20_000, code=1006)])
        events = capacity.take()
        grant_access_again(user_id, sid, clock.now_ms())        # store.append_to_live_story
        appended = capacity.take()
        clock.advance(40)
        end_session(learner, sid, disconnectCode=1000, messages=[{"role": "user", "text": "Xin chào",
                                                                  "timestamp": 1}])
        ended = capacity.take()
    # The start puts the session: an entry in each of its indexes (the hook sees index writes).
    assert {f"sessions/{name}" for name in INDEXES} <= set(started)
    # The events call writes its batch only; a server entry appended to the live story the
    # session item only.
    assert events.get("session_events", 0) > 0 and "sessions" not in events and appended["sessions"] > 0
    assert not [target for target in {**events, **appended} if target.startswith("sessions/")], (events, appended)
    # The end changes what the history list shows; the keys-only indexes are not written again.
    assert ended.get("sessions/learning_history_view", 0) > 0
    assert not {"sessions/sessions_by_day_keys", "sessions/sessions_by_user_keys"} & set(ended), ended
    assert data(learner.get("/api/learning/history"))["sessions"][0]["id"] == sid
