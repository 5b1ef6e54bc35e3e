"""A transcript through the API whatever its items' shape (speakpho.transcript): the chunks this
release writes, the one-message items the releases before wrote (read with no migration), and
the two mixed. Every reader answers the same messages, and deleting or erasing leaves no item."""
from __future__ import annotations

from apitest import data
from learning.learning_store import learning_store
from learning_helpers import erase, run_session
from speakpho import ddb

TRANSCRIPT = [
    {"role": "coach", "text": "Chào bạn! Hôm nay bạn muốn nói về gì?", "timestamp": 1_794_333_600_000,
     "provider": "gemini"},
    {"role": "user", "text": "Tôi muốn nói về phở 🍜", "timestamp": 1_794_333_605_000, "provider": "gemini"},
    {"role": "coach", "text": "Ồ, " + "phở bò tái nạm, " * 80, "timestamp": 1_794_333_611_000},   # > 1 KB alone
    {"role": "user", "text": "Tôi thích phở gà hơn", "timestamp": 1_794_333_620_000, "provider": "openai"},
    *({"role": "user" if i % 2 else "coach", "text": f"Câu số {i}: Tôi muốn ăn phở",
       "timestamp": 1_794_333_630_000 + i} for i in range(30)),
]
LEARNER_LINES = [m["text"] for m in TRANSCRIPT if m["role"] == "user"]


def _items(dynamodb, session_id: str) -> list[dict]:
    return ddb.query_all(dynamodb, TableName="session_messages", KeyConditionExpression="sessionId = :s",
                         ExpressionAttributeValues=ddb.values({":s": session_id}), ConsistentRead=True)


def _as_the_old_release(dynamodb, session_id: str) -> list[dict]:
    """The session's transcript rewritten as the releases before stored it (one item per message,
    its fields at the top level); returns the chunks it replaced."""
    chunks = _items(dynamodb, session_id)
    head = {k: chunks[0][k] for k in ("sessionId", "userId", "expiresAt")}
    ddb.batch_write(dynamodb, "session_messages", delete_keys=[{"sessionId": session_id, "seq": c["seq"]}
                                                               for c in chunks])
    ddb.batch_write(dynamodb, "session_messages", puts=[{**head, "seq": i, **m} for i, m in enumerate(TRANSCRIPT)])
    return chunks


def _mixed(dynamodb, session_id: str) -> None:
    """Old items partly overwritten by chunks: an end the old release stored, repeated by this one."""
    chunks = _as_the_old_release(dynamodb, session_id)
    ddb.batch_write(dynamodb, "session_messages", puts=chunks)


def test_every_reader_answers_the_same_messages_from_either_shape(api, alice, clock, dynamodb):
    new, old, mixed = (run_session(alice, clock, messages=TRANSCRIPT) for _ in range(3))
    items = _items(dynamodb, new)
    assert 1 < len(items) < len(TRANSCRIPT) // 4 and all("m" in i for i in items)
    _as_the_old_release(dynamodb, old)
    assert len(_items(dynamodb, old)) == len(TRANSCRIPT)
    _mixed(dynamodb, mixed)
    assert len(_items(dynamodb, mixed)) == len(TRANSCRIPT)

    admin = api.as_user("root", admin=True, email="root@example.com")
    for session_id in (new, old, mixed):
        assert data(alice.get(f"/api/learning/session/{session_id}"))["messages"] == TRANSCRIPT, session_id
        assert data(admin.get(f"/api/admin/sessions/{session_id}"))["messages"] == TRANSCRIPT, session_id
        lines = learning_store().learner_lines(session_id)   # what the conversation reviews read
        assert [line["text"] for line in lines] == LEARNER_LINES
        assert [line["seq"] for line in lines] == [i for i, m in enumerate(TRANSCRIPT) if m["role"] == "user"]


def test_deleting_a_session_leaves_no_item_of_either_shape(alice, clock, dynamodb):
    new, old, mixed = (run_session(alice, clock, messages=TRANSCRIPT) for _ in range(3))
    _as_the_old_release(dynamodb, old)
    _mixed(dynamodb, mixed)
    for session_id in (new, old, mixed):
        deleted = data(alice.delete(f"/api/learning/session/{session_id}"))
        assert deleted["messagesDeleted"] == len(TRANSCRIPT), session_id
        assert _items(dynamodb, session_id) == []


def test_the_erasure_leaves_no_item_of_either_shape(alice, clock, dynamodb, erasures):
    new, old, mixed = (run_session(alice, clock, messages=TRANSCRIPT) for _ in range(3))
    _as_the_old_release(dynamodb, old)
    _mixed(dynamodb, mixed)
    view = erase(alice, erasures)
    assert view["sessionsErased"] == 3 and view["messagesDeleted"] == 3 * len(TRANSCRIPT)
    assert all(_items(dynamodb, session_id) == [] for session_id in (new, old, mixed))
