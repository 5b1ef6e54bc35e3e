"""Learning routes in `make bench`: requests per call on a learner with 23 sessions, then the
learning-quality figure (bench/learning_quality.py)."""
from __future__ import annotations

from bench.session_budgets import END_REQUESTS


def run(*, gateway, meter, clock, client, record, Caller, fail) -> None:
    print("learning area")
    lan = Caller(gateway, meter, "bench-lan")
    for i in range(23):
        started, _ = lan.call("POST", "/api/session/start", {"topic": f"topic {i}"})
        clock.advance(20)
        messages = [{"role": "user" if m % 2 else "coach", "text": f"Câu {m}: Tôi muốn ăn phở", "timestamp": m}
                    for m in range(40)]
        lan.call("POST", "/api/session/end", {
            "sessionId": started["sessionId"], "messages": messages,
            "corrections": [{"original": f"sai {i}", "correction": f"đúng {i}",
                             "category": "grammar" if i % 2 else "tone"}]})
        clock.advance(160)   # starts 3 minutes apart: at most 20 in any hour (STARTS_PER_HOUR)
    print("  (23 sessions of 40 messages and 1 correction stored)")
    _conversation(lan, meter, clock, record)
    page1, r = lan.call("GET", "/api/learning/history", query="page=1&limit=10")
    record("learning", "GET /api/learning/history page=1", r, 3)
    _, r = lan.call("GET", "/api/learning/history", query="page=3&limit=10")
    record("learning", "GET /api/learning/history page=3", r, 3)
    if page1.get("nextCursor"):
        _, r = lan.call("GET", "/api/learning/history", query=f"limit=10&cursor={page1['nextCursor']}")
        record("learning", "GET /api/learning/history cursor", r, 3)
    newest = page1["sessions"][0]["id"]
    _, r = lan.call("GET", f"/api/learning/session/{newest}")
    record("learning", "GET /api/learning/session/{id} (40 messages)", r, 3)
    listed, r = lan.call("GET", "/api/learning/corrections", query="limit=20")
    record("learning", "GET /api/learning/corrections", r)
    _, r = lan.call("GET", "/api/learning/corrections", query="category=tone&reviewed=false&limit=20")
    record("learning", "GET /api/learning/corrections filtered", r)
    first = listed["corrections"][0]["id"]
    _, r = lan.call("PATCH", f"/api/learning/corrections/{first}", {"reviewed": True, "confidenceLevel": 4})
    record("learning", "PATCH /api/learning/corrections/{id} (first review)", r, 2,
           note="reads #memory with the card, writes the review log and count in the same transaction")
    _, r = lan.call("PATCH", f"/api/learning/corrections/{first}", {"confidenceLevel": 5})
    record("learning", "PATCH /api/learning/corrections/{id} (again)", r, 2)
    _, r = lan.call("GET", "/api/learning/memory")
    record("learning", "GET /api/learning/memory", r, 1, note="+ one fsrs-rs simulation before a first fit")
    _, r = lan.call("PUT", "/api/learning/memory", {"desiredRetention": 0.85})
    record("learning", "PUT /api/learning/memory", r, 2)
    _, r = lan.call("GET", "/api/learning/review", query="limit=20")
    record("learning", "GET /api/learning/review", r, 2)
    _, r = lan.call("PATCH", f"/api/learning/corrections/{listed['corrections'][1]['id']}", {"disputed": True})
    record("learning", "PATCH /api/learning/corrections/{id} (disputed)", r, 2)
    _, r = lan.call("DELETE", f"/api/learning/session/{newest}")
    record("learning", "DELETE /api/learning/session/{id} (40 msgs, 1 correction)", r, 6)
    items = [{"original": f"cũ {i}", "correction": f"mới {i}", "category": "vocabulary",
              "createdAt": 1_790_000_000_000 + i} for i in range(150)]
    _, r = lan.call("POST", "/api/learning/corrections/import", {"corrections": items})
    record("learning", "POST /api/learning/corrections/import (150 new)", r)
    _, r = lan.call("POST", "/api/learning/corrections/import", {"corrections": items})
    record("learning", "POST /api/learning/corrections/import (same again)", r)
    _, r = lan.call("DELETE", "/api/learning/history")
    record("learning", "DELETE /api/learning/history (22 sessions)", r,
           note="starts the erasure job (202); the worker's chunks are not in this figure")

    # The learning-quality figure: simulated learners reviewing for months (bench/learning_quality.py).
    from bench import learning_quality

    learning_quality.run(gateway=gateway, meter=meter, clock=clock, client=client, record=record, Caller=Caller,
                         fail=fail)


def _conversation(lan, meter, clock, record) -> None:
    """The conversation function (learning/conversation.py) on the record of a stored transcript
    that says two of the learner's corrections: its cost per session, and the end's (unchanged)."""
    from speakpho import ddb
    from speakpho.aws import dynamodb_client
    from speakpho.config import get_settings

    from learning import conversation_handler

    started, _ = lan.call("POST", "/api/session/start", {"topic": "conversation"})
    clock.advance(20)
    _, r = lan.call("POST", "/api/session/end", {"sessionId": started["sessionId"], "messages": [
        {"role": "user", "text": "Tôi nói đúng 3 rồi", "timestamp": 1}, {"role": "coach", "text": "Tốt", "timestamp": 2},
        {"role": "user", "text": "nhưng vẫn sai 5", "timestamp": 3}]})
    record("learning", "POST /api/session/end (3 lines; no request added for conversation)", r, END_REQUESTS + 1)
    item = dynamodb_client().get_item(TableName=get_settings().table("sessions"),
                                      Key=ddb.serialize({"sessionId": started["sessionId"]}))["Item"]
    change = {"Keys": {"sessionId": item["sessionId"]}, "NewImage": item, "SequenceNumber": "1",
              "OldImage": {k: v for k, v in item.items() if k != "contentStoredAt"}}
    event = {"Records": [{"eventName": "MODIFY", "dynamodb": change}]}
    _, r = meter.measure(lambda: conversation_handler.handle(event))
    record("learning", "conversation function (1 transcript, 2 corrections said)", r, 3 + 1 + 2,
           note="3 Queries + #memory + 1 transaction per correction said")
    _, r = meter.measure(lambda: conversation_handler.handle(event))
    record("learning", "conversation function (the same record replayed)", r, 3, note="reviews nothing twice")
    clock.advance(160)
