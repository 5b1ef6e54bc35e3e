"""A session's transcript in session_messages: the items the end writes (transcript_items) and
what every reader makes of them (transcript_messages). Stores use it; the domain sees messages.

An item holds a chunk of consecutive messages, packed into at most ITEM_BYTES by DynamoDB's
size rules (speakpho.item_size), so that it costs one write unit where one item per message of
~100 bytes cost one unit each:

    {sessionId, seq, userId, expiresAt, m: [{r: role, t: text, ts: timestamp, p?: provider}, ...]}

`seq` (the sort key) is the number of its first message in the transcript (0-based), the next
ones follow in `m`; `expiresAt` is the TTL, as on every item of the table. A message too large
to share an item gets one of its own (a text of models.MAX_TEXT characters is at most 16 KB of
UTF-8, far below DynamoDB's 400 KB per item).

The releases before wrote one message per item: role, text, timestamp (and provider) at the top
level, `seq` the message's number. Such items are read as they are (no migration), even mixed
with chunks in one session (an end the old release wrote and this one repeated rewrote some of
those keys as chunks): a message number is read from the first item, in key order, holding it.
"""
from __future__ import annotations

from typing import Iterable

from speakpho import ddb
from speakpho.item_size import item_size, value_size

ITEM_BYTES = 1024                    # one write unit
MESSAGES = "m"                       # the attribute holding a chunk's messages
HEAD = ("sessionId", "seq", "userId", "expiresAt")
SHORT = {"role": "r", "text": "t", "timestamp": "ts", "provider": "p"}   # a message's fields in `m`
LONG = {short: name for name, short in SHORT.items()}


def _entry(message: dict) -> dict:
    return {short: message[name] for name, short in SHORT.items() if message.get(name) is not None}


def _entry_bytes(entry: dict) -> int:
    """What one more message adds to an item: the map and its list element's byte."""
    return value_size({"M": ddb.serialize(entry)}) + 1


def _head(message: dict) -> dict:
    return {name: message[name] for name in HEAD if message.get(name) is not None}


def transcript_items(messages: list[dict]) -> list[dict]:
    """The items storing `messages` (in order, each {sessionId, seq, userId, expiresAt, role,
    text, timestamp, provider?}, one session's): consecutive ones packed greedily into items of
    at most ITEM_BYTES; a message that does not fit with others gets an item alone. The same
    messages give the same items (a repeated end rewrites its keys)."""
    items: list[dict] = []
    size, last_seq = 0, None
    for message in messages:
        entry = _entry(message)
        grows = _entry_bytes(entry)
        if not items or message["seq"] != last_seq + 1 or size + grows > ITEM_BYTES:
            items.append({**_head(message), MESSAGES: []})
            size = item_size(ddb.serialize(items[-1]))
        items[-1][MESSAGES].append(entry)
        size += grows
        last_seq = message["seq"]
    return items


def _held(item: dict) -> list[tuple[int, dict]]:
    """(number, message) of each message an item holds, in either shape."""
    seq = int(item["seq"])
    if MESSAGES in item:
        return [(seq + i, {LONG[k]: v for k, v in entry.items() if k in LONG})
                for i, entry in enumerate(item[MESSAGES])]
    return [(seq, {name: item[name] for name in SHORT if name in item})]


def transcript_messages(items: Iterable[dict]) -> list[dict]:
    """The messages of one session's items, given in key order (as a Query returns them):
    {seq, role, text, timestamp, provider?} in order, each number once. Counting them is
    counting the messages stored (items projected to `seq` and `m` are enough for that)."""
    messages: list[dict] = []
    through = -1
    for item in items:
        for seq, message in _held(item):
            if seq > through:
                messages.append({"seq": seq, **message})
                through = seq
    return messages
