"""speakpho.ddb.batch_get: at most 100 keys a request, unprocessed keys asked again (bounded),
the items in the order of the keys, vanished items left out, an optional projection."""
from __future__ import annotations

import pytest

from speakpho import ddb


class FakeBatchGet:
    """A BatchGetItem endpoint over a dict of items keyed by sessionId; answers in reverse order
    (DynamoDB keeps no order) and leaves the first `unprocessed` keys of each of the first
    `stingy` requests unprocessed."""

    def __init__(self, items: dict[str, dict], *, unprocessed: int = 0, stingy: int = 0) -> None:
        self.items, self.unprocessed, self.stingy = items, unprocessed, stingy
        self.requests: list[dict] = []

    def batch_get_item(self, RequestItems):
        self.requests.append(RequestItems)
        (table, ask), = RequestItems.items()
        keys = [ddb.deserialize(k)["sessionId"] for k in ask["Keys"]]
        assert len(keys) <= 100 and len(set(keys)) == len(keys)   # DynamoDB refuses either
        held, answered = [], keys
        if len(self.requests) <= self.stingy:
            held, answered = keys[:self.unprocessed], keys[self.unprocessed:]
        found = [self.items[k] for k in answered if k in self.items]
        if "ProjectionExpression" in ask:
            names = ask.get("ExpressionAttributeNames", {})
            wanted = {names.get(p.strip(), p.strip()) for p in ask["ProjectionExpression"].split(",")}
            found = [{k: v for k, v in item.items() if k in wanted} for item in found]
        resp = {"Responses": {table: [ddb.serialize(i) for i in reversed(found)]}}
        if held:
            resp["UnprocessedKeys"] = {table: {**ask, "Keys": [ddb.serialize({"sessionId": k}) for k in held]}}
        return resp


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(ddb.time, "sleep", slept.append)
    return slept


def items(n: int) -> dict[str, dict]:
    return {f"s{i:03d}": {"sessionId": f"s{i:03d}", "n": i, "story": [{"t": i}]} for i in range(n)}


def test_keys_in_order_each_once_vanished_items_left_out_one_request_per_100_keys():
    client = FakeBatchGet(items(250))
    wanted = [f"s{i:03d}" for i in (7, 3, 249, 3, 300, 120)] + [f"s{i:03d}" for i in range(200)]
    got = ddb.batch_get(client, "sessions", [{"sessionId": k} for k in wanted])
    expected = list(dict.fromkeys(k for k in wanted if k != "s300"))
    assert [i["sessionId"] for i in got] == expected
    assert got[0] == {"sessionId": "s007", "n": 7, "story": [{"t": 7}]}
    assert [len(r["sessions"]["Keys"]) for r in client.requests] == [100, 100, 2]   # 202 distinct keys


def test_nothing_asked_for_no_keys():
    client = FakeBatchGet(items(3))
    assert ddb.batch_get(client, "sessions", []) == [] and client.requests == []


def test_unprocessed_keys_are_asked_again_with_backoff(no_sleep):
    client = FakeBatchGet(items(10), unprocessed=4, stingy=2)
    got = ddb.batch_get(client, "sessions", [{"sessionId": f"s{i:03d}"} for i in range(10)])
    assert [i["n"] for i in got] == list(range(10))
    assert [len(r["sessions"]["Keys"]) for r in client.requests] == [10, 4, 4]
    assert no_sleep == [0.05, 0.1]


def test_keys_never_processed_fail_after_a_bounded_number_of_requests(no_sleep):
    client = FakeBatchGet(items(5), unprocessed=5, stingy=100)
    with pytest.raises(RuntimeError, match="unprocessed"):
        ddb.batch_get(client, "sessions", [{"sessionId": f"s{i:03d}"} for i in range(5)])
    assert len(client.requests) == ddb.RETRIES and max(no_sleep) <= 1.0


def test_a_projection_gets_the_key_added_to_place_the_items():
    client = FakeBatchGet(items(4))
    got = ddb.batch_get(client, "sessions", [{"sessionId": "s002"}, {"sessionId": "s001"}], projection="#n",
                        names={"#n": "n"})
    assert got == [{"sessionId": "s002", "n": 2}, {"sessionId": "s001", "n": 1}]
    ask = client.requests[0]["sessions"]
    assert ask["ProjectionExpression"] == "#n, #bk0" and ask["ExpressionAttributeNames"] == {"#n": "n",
                                                                                             "#bk0": "sessionId"}
    # A projection that names the key already asks for it once (DynamoDB refuses overlapping paths).
    ddb.batch_get(client, "sessions", [{"sessionId": "s001"}], projection="sessionId, n")
    assert client.requests[-1]["sessions"]["ProjectionExpression"] == "sessionId, n"
    assert "ExpressionAttributeNames" not in client.requests[-1]["sessions"]
