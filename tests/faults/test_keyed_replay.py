"""A keyed call whose write took effect but whose answer was lost (scripted with the fault
proxy's force_next): the app's retry with the same Idempotency-Key gets the first answer and
no second effect (speakpho.idempotency). The handlers run in this process, on dynoxide behind
the proxy; botocore's back-off is set to 0 here so that its five attempts take no time."""
from __future__ import annotations

import uuid

import pytest

from apitest import ApiClient, data, end_session, error, fresh_tables, start_session, user_sessions
from speakpho import ddb

pytestmark = pytest.mark.faults
LOST = ("refuse",) * 4          # every retry of the handlers' client (5 attempts) refused


@pytest.fixture
def proxy(dynoxide_endpoint, monkeypatch):
    from local.fault_proxy import FaultProxy

    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0)
    with FaultProxy(dynoxide_endpoint) as p:
        monkeypatch.setenv("DYNAMODB_ENDPOINT", p.url)
        with fresh_tables():
            yield p


@pytest.fixture
def direct(dynoxide_endpoint):
    import botocore.session

    return botocore.session.get_session().create_client("dynamodb", endpoint_url=dynoxide_endpoint)


@pytest.fixture
def learner(proxy, clock, providers):
    from local.gateway import Gateway

    user_id = f"lost-{uuid.uuid4().hex[:8]}"
    return user_id, ApiClient(Gateway()).as_user(user_id)


def sessions_of(direct, user_id: str) -> list[dict]:
    return user_sessions(direct, user_id)


def row(direct, table: str, key: dict) -> dict:
    return ddb.deserialize(direct.get_item(TableName=table, Key=ddb.serialize(key), ConsistentRead=True).get("Item"))


START = "/api/session/start"


def test_a_start_applied_but_unanswered_answers_its_session_on_retry(proxy, direct, learner):
    user_id, alice = learner
    key, body = {"Idempotency-Key": "lost-start"}, {"topic": "food", "mode": "coach"}
    proxy.force_next("apply_500", "TransactWriteItems", ("sessions", "idempotency"), then=LOST)
    first = alice.post(START, body, headers=key)
    assert error(first, 500)["code"] == "internal_error"          # the handler never learnt it worked
    assert proxy.counts()["forced"] == 1 + len(LOST)
    [session] = sessions_of(direct, user_id)                        # ...but it did

    again = alice.post(START, body, headers=key)
    started = data(again, 201)
    assert started["sessionId"] == session["sessionId"] and started["usage"]["activeSessionId"] == session["sessionId"]
    assert alice.post(START, body, headers=key).json() == again.json()
    assert len(sessions_of(direct, user_id)) == 1
    assert row(direct, "usage_periods", {"userId": user_id, "period": "profile"})["sessionCount"] == 1

    # The same key with another body is refused and starts nothing.
    assert error(alice.post(START, {"topic": "travel"}, headers=key), 422)["code"] == "idempotency_key_reused"
    assert len(sessions_of(direct, user_id)) == 1


def test_an_answer_lost_once_is_absorbed_by_the_transactions_token(proxy, direct, learner):
    """botocore's retry resends the transaction with the same ClientRequestToken: DynamoDB (and
    dynoxide) answers it as the first, so the handler never sees the fault."""
    user_id, alice = learner
    proxy.force_next("apply_500", "TransactWriteItems", ("sessions", "idempotency"))
    started = start_session(alice, {}, headers={"Idempotency-Key": "once"})
    assert [s["sessionId"] for s in sessions_of(direct, user_id)] == [started["sessionId"]]


def test_a_review_applied_but_unanswered_is_reviewed_once(proxy, direct, learner, clock):
    user_id, alice = learner
    sid = start_session(alice)["sessionId"]
    clock.advance(30)
    end_session(alice, sid, corrections=[{"original": "a", "correction": "b", "category": "tone"},
                                         {"original": "c", "correction": "d", "category": "tone"}])
    first_card, second_card = sorted(c["id"] for c in data(alice.get("/api/learning/corrections"))["corrections"])

    for card, key in ((first_card, "lost-flip"), (second_card, None)):
        if key is None:   # a second rating (no counter to flip): the correction and the record only
            data(alice.patch(f"/api/learning/corrections/{card}", {"confidenceLevel": 2}))
            key = "lost-again"
        path, headers = f"/api/learning/corrections/{card}", {"Idempotency-Key": key}
        before = int(row(direct, "corrections", {"userId": user_id, "correctionId": card}).get("version", 1))
        proxy.force_next("apply_500", "TransactWriteItems", ("corrections", "idempotency"), then=LOST)
        assert error(alice.patch(path, {"confidenceLevel": 4}, headers=headers), 500)["code"] == "internal_error"
        stored = row(direct, "corrections", {"userId": user_id, "correctionId": card})
        assert stored["version"] == before + 1                    # applied by the failed call

        clock.advance(60)   # the app's retry, a minute later
        answer = alice.patch(path, {"confidenceLevel": 4}, headers=headers)
        assert data(answer) == {"id": card, "reviewed": True, "reviewedAt": stored["reviewedAt"],
                                "confidenceLevel": 4, "nextReviewAt": stored["nextReviewAt"], "disputed": False,
                                "leech": False, "lapses": int(stored.get("lapses") or 0), "explanation": None}
        assert alice.patch(path, {"confidenceLevel": 4}, headers=headers).json() == answer.json()
        assert row(direct, "corrections", {"userId": user_id, "correctionId": card}) == stored   # once
    assert row(direct, "corrections", {"userId": user_id, "correctionId": "#stats"})["reviewed"] == 2
