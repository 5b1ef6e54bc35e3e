"""Corrections mastered in conversation (learning/conversation.py), through the gateway and the
sessions stream as make dev runs them: the conversation function's own pump (local/streams.py)."""
from __future__ import annotations

import pytest

from apitest import data
from learning_helpers import run_session

MISTAKE = {"original": "Tôi muốn ăn phở", "correction": "Em muốn ăn phở", "category": "vocabulary",
           "explanation": "Em when speaking to an elder"}


@pytest.fixture
def conversation(api, dynamodb):
    """The conversation function's stream pump, drained by hand."""
    from infra.catalog import CONVERSATION
    from local.streams import StreamPump

    return StreamPump(api.gateway, dynamodb, consumer=CONVERSATION, name="conversation")


def said(*texts: str) -> list[dict]:
    return [{"role": "user", "text": t, "timestamp": 1_000 + i} for i, t in enumerate(texts)]


def only_correction(client) -> dict:
    corrections = data(client.get("/api/learning/corrections"))["corrections"]
    assert len(corrections) == 1, corrections
    return corrections[0]


def test_a_session_that_says_a_corrected_phrase_correctly_reviews_that_correction(
        alice, clock, conversation, dynamodb, api):
    run_session(alice, clock, corrections=[MISTAKE], messages=said("Tôi muốn ăn phở"))
    conversation.drain()   # the session that made the correction does not review it
    before = only_correction(alice)
    assert before["evidence"] == [] and before["nextReviewAt"] is None

    clock.advance(3 * 86_400)
    later = run_session(alice, clock, messages=[{"role": "coach", "text": "Em muốn ăn phở?", "timestamp": 1},
                                                *said("Dạ, em muốn ăn phở!", "Em muốn ăn phở")])
    conversation.drain()
    after = only_correction(alice)
    [evidence] = after["evidence"]
    assert evidence["sessionId"] == later and evidence["outcome"] == "used_correctly"
    assert evidence["text"] == "Dạ, em muốn ăn phở!"
    # Good on a new card: FSRS-6's second learning step, 10 minutes (Again would be 1 minute)
    assert after["nextReviewAt"] == clock.now_ms() + 10 * 60_000
    assert after["lapses"] == 0 and after["reviewed"] is False   # the learner's own rating is left alone
    memory = data(alice.get("/api/learning/memory"))
    assert memory["reviewCount"] == 1
    assert memory["conversationReviews"] == {"usedCorrectly": 1, "repeatedMistake": 0}

    # A replayed stream (a new mapping from the stream's start) reviews nothing twice.
    from infra.catalog import CONVERSATION
    from local.streams import StreamPump

    StreamPump(api.gateway, dynamodb, consumer=CONVERSATION, name="conversation").drain()
    assert only_correction(alice)["evidence"] == after["evidence"]
    assert data(alice.get("/api/learning/memory"))["reviewCount"] == 1


def test_the_mistake_said_again_is_a_lapse_and_eight_make_a_leech(alice, clock, conversation):
    run_session(alice, clock, corrections=[MISTAKE])
    for n in range(8):
        clock.advance(86_400)
        run_session(alice, clock, messages=said("Chào chị", f"tôi muốn ăn phở {n}"))
        conversation.drain()
        correction = only_correction(alice)
        assert correction["lapses"] == n + 1 and correction["evidence"][-1]["outcome"] == "repeated_mistake"
        assert correction["leech"] is (n == 7)
    assert len(correction["evidence"]) == 5                       # the last five kept
    assert data(alice.get("/api/learning/review"))["dueCount"] == 0  # suspended: out of the queue
    clock.advance(86_400)
    run_session(alice, clock, messages=said("Em muốn ăn phở"))
    conversation.drain()
    assert only_correction(alice)["lapses"] == 8                   # a leech is not reviewed from conversation


def test_a_session_end_stores_the_same_correction_once(alice, clock):
    session_id = run_session(alice, clock, corrections=[MISTAKE, {**MISTAKE, "explanation": "again"},
                                                        {**MISTAKE, "correction": "Con muốn ăn phở"}])
    detail = data(alice.get(f"/api/learning/session/{session_id}"))
    assert [c["correction"] for c in detail["corrections"]] == ["Em muốn ăn phở", "Con muốn ăn phở"]
    assert detail["session"]["correctionCount"] == 2
    assert data(alice.get("/api/learning/corrections"))["stats"]["total"] == 2


def _stored_transcript_record(dynamodb, session_id: str) -> dict:
    """The stream record of the change that stored this session's transcript (as the mapping hands it over)."""
    from speakpho import ddb
    from speakpho.config import get_settings

    item = dynamodb.get_item(TableName=get_settings().table("sessions"), Key=ddb.serialize({"sessionId": session_id}))["Item"]
    old = {k: v for k, v in item.items() if k != "contentStoredAt"}
    return {"eventName": "MODIFY", "dynamodb": {"Keys": {"sessionId": {"S": session_id}}, "NewImage": item,
                                                "OldImage": old, "SequenceNumber": "1"}}


def test_the_function_costs_three_queries_a_read_and_one_write_per_correction_said(alice, clock, dynamodb,
                                                                                  ddb_requests):
    from learning import conversation_handler

    run_session(alice, clock, corrections=[MISTAKE, {"original": "cám ơn", "correction": "cảm ơn"},
                                           {"original": "tôi khỏe", "correction": "em khỏe ạ"}])
    clock.advance(86_400)
    ddb_requests.reset()
    later = run_session(alice, clock, messages=said("Em muốn ăn phở", "Cám ơn chị", "Chào chị"))
    end_requests = ddb_requests.total
    record = _stored_transcript_record(dynamodb, later)
    ddb_requests.reset()
    assert conversation_handler.handle({"Records": [record]}) == {"batchItemFailures": []}
    assert ddb_requests.ops == {"Query": 3, "GetItem": 1, "TransactWriteItems": 2}, ddb_requests.ops
    ddb_requests.reset()
    assert conversation_handler.handle({"Records": [record]}) == {"batchItemFailures": []}   # replayed
    assert ddb_requests.ops == {"Query": 3}, ddb_requests.ops                                  # reviews nothing
    # Any other change of a session is nobody's business here, and costs nothing.
    assert conversation_handler.handle({"Records": [{**record, "dynamodb": {**record["dynamodb"],
                                                                             "OldImage": record["dynamodb"]["NewImage"]}}]})
    assert ddb_requests.ops == {"Query": 3}
    # start (2) + end (4: session read, its event batches read before and after the commit, the
    # commit) + transcript batch: no request added
    assert end_requests <= 2 + 4 + 2


def test_a_failed_record_is_reported_and_the_next_ones_left_for_the_redelivery(alice, clock, dynamodb, monkeypatch):
    from learning import conversation, conversation_handler

    first = _stored_transcript_record(dynamodb, run_session(alice, clock, messages=said("Chào")))
    second = {**first, "dynamodb": {**first["dynamodb"], "SequenceNumber": "2"}}

    def fails(*_args):
        raise RuntimeError("throttled")

    monkeypatch.setattr(conversation, "review_session", fails)
    assert conversation_handler.handle({"Records": [first, second]}) == {"batchItemFailures": [{"itemIdentifier": "1"}]}
