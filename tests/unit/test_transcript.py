"""A transcript's items (speakpho.transcript): consecutive messages packed into items of at most
1 KB by DynamoDB's size rules (speakpho.item_size), and read back the same from items of either
shape, the chunks of this release and the one-message items of the releases before."""
from __future__ import annotations

import pytest

from speakpho import ddb
from speakpho.item_size import item_size, units
from speakpho.transcript import ITEM_BYTES, transcript_items, transcript_messages

SID = "6f0c7f8e-1b2c-4d5e-8f90-123456789abc"
EXPIRES = 1_825_869_600          # 10 digits
T0 = 1_794_333_600_000           # 13 digits
# By DynamoDB's rules, an item of learner "alice" starting at seq 0-9 weighs 81 bytes before its
# messages: sessionId 9 + 36, seq 3 + 2, userId 6 + 5, expiresAt 9 + 7, m 1 + 3 (the list); each
# message of the learner ("user") adds 23 + its text's UTF-8 bytes: the map 3, r 1 + 4 + 1,
# t 1 + 1 (+ text), ts 2 + 8 + 1, its list element 1. So one item holds 943 bytes of entries:
# one text of 920 bytes, or two of 449 + 448, exactly at the budget.
HEAD, PER_MESSAGE = 81, 23


def transcript(texts, *, provider=None) -> list[dict]:
    return [{"sessionId": SID, "seq": i, "userId": "alice", "expiresAt": EXPIRES, "role": "user", "text": t,
             "timestamp": T0 + i, **({"provider": provider} if provider else {})} for i, t in enumerate(texts)]


def size(item: dict) -> int:
    return item_size(ddb.serialize(item))


@pytest.mark.parametrize("texts, chunks", [
    pytest.param([], [], id="empty transcript: no item"),
    pytest.param(["Xin chào"], [1], id="one message"),
    pytest.param(["x" * 920], [1], id="one message exactly at the budget"),
    pytest.param(["x" * 449, "y" * 448], [2], id="two messages exactly at the budget"),
    pytest.param(["x" * 449, "y" * 449], [1, 1], id="one byte over: the second starts an item"),
    pytest.param(["ư" * 224 + "a", "ư" * 224], [2], id="unicode in UTF-8 bytes, at the budget"),
    pytest.param(["ư" * 225, "ư" * 224 + "a"], [1, 1], id="unicode in UTF-8 bytes, one byte over"),
    pytest.param(["ư" * 460, "ư" * 460], [1, 1], id="920 bytes though 460 characters"),
    pytest.param(["😀" * 230], [1], id="4-byte characters at the budget"),
    pytest.param(["a", "x" * 4000, "b"], [1, 1, 1], id="an oversized message alone between two"),
    pytest.param(["x" * 4000, "a", "b"], [1, 2], id="an oversized first message"),
    pytest.param(["😀" * 4000], [1], id="the largest message (MAX_TEXT of 4-byte characters)"),
    pytest.param([f"câu số {i}" for i in range(40)], [27, 13], id="40 short messages in 2 items"),
])
def test_messages_pack_into_items_of_at_most_the_budget(texts, chunks):
    messages = transcript(texts)
    items = transcript_items(messages)
    assert [len(i["m"]) for i in items] == chunks
    assert [i["seq"] for i in items] == [sum(chunks[:n]) for n in range(len(chunks))]   # each its first message's
    for item in items:
        assert size(item) <= ITEM_BYTES or len(item["m"]) == 1
        assert (item["sessionId"], item["userId"], item["expiresAt"]) == (SID, "alice", EXPIRES)
    assert transcript_messages(items) == [{k: m[k] for k in ("seq", "role", "text", "timestamp")} for m in messages]


@pytest.mark.parametrize("texts, expected", [
    pytest.param(["x" * 920], HEAD + PER_MESSAGE + 920, id="one message: 1024"),
    pytest.param(["x" * 449, "y" * 448], HEAD + 2 * PER_MESSAGE + 897, id="two: 1024"),
    pytest.param(["ư" * 10], HEAD + PER_MESSAGE + 20, id="ư is 2 bytes"),
    pytest.param(["😀"], HEAD + PER_MESSAGE + 4, id="😀 is 4 bytes"),
])
def test_an_items_size_follows_dynamodbs_rules(texts, expected):
    item, = transcript_items(transcript(texts))
    assert size(item) == expected
    assert units(size(item)) == (1 if expected <= 1024 else 2)


def test_forty_messages_of_the_load_cost_3_write_units_not_40():
    phrases = ["Xin chào, hôm nay bạn thế nào?", "Tôi muốn ăn phở bò tái nạm"]
    messages = transcript([f"{phrases[i % 2]} ({i})" for i in range(40)])
    items = transcript_items(messages)
    assert sum(units(size(i)) for i in items) == 3
    assert sum(units(size(m)) for m in messages) == 40   # one item per message, as the releases before


def test_the_provider_is_kept_in_a_short_field():
    item, = transcript_items(transcript(["Xin chào"], provider="openai"))
    assert item["m"] == [{"r": "user", "t": "Xin chào", "ts": T0, "p": "openai"}]
    assert transcript_messages([item]) == [{"seq": 0, "role": "user", "text": "Xin chào", "timestamp": T0,
                                            "provider": "openai"}]


def test_a_gap_in_the_numbers_starts_an_item():
    messages = transcript(["a", "b", "c"])
    messages[2]["seq"] = 5
    items = transcript_items(messages)
    assert [(i["seq"], len(i["m"])) for i in items] == [(0, 2), (5, 1)]
    assert [m["seq"] for m in transcript_messages(items)] == [0, 1, 5]


def _old_items(messages: list[dict]) -> list[dict]:
    """What the releases before stored: one item per message, its fields at the top level."""
    return [dict(m) for m in messages]


def test_a_transcript_in_the_old_shape_reads_as_in_the_new():
    messages = transcript([f"câu số {i} " + "ư" * (i * 7) for i in range(30)], provider="gemini")
    new = transcript_items(messages)
    assert len(new) < len(messages)
    assert transcript_messages(_old_items(messages)) == transcript_messages(new)
    assert [m["text"] for m in transcript_messages(new)] == [m["text"] for m in messages]


def test_old_items_partly_rewritten_as_chunks_read_each_message_once():
    """An end the old release stored and this one repeated: its chunks' keys replaced some of
    the old items, the others stay; each message is read once, in order."""
    messages = transcript([f"câu số {i}" for i in range(60)])
    by_key = {i["seq"]: i for i in _old_items(messages)}
    by_key.update({i["seq"]: i for i in transcript_items(messages)})
    mixed = [by_key[k] for k in sorted(by_key)]
    assert len(mixed) == 60 and any("m" in i for i in mixed) and any("m" not in i for i in mixed)
    assert transcript_messages(mixed) == transcript_messages(_old_items(messages))


def test_the_messages_are_counted_from_keys_and_lists_alone():
    """Erasure counts what it deletes from items projected to `seq` and `m`."""
    messages = transcript([f"câu số {i}" for i in range(45)])
    projected = [{k: v for k, v in i.items() if k in ("seq", "m")} for i in transcript_items(messages)]
    old = [{"seq": m["seq"]} for m in messages]
    assert len(transcript_messages(projected)) == len(transcript_messages(old)) == 45
