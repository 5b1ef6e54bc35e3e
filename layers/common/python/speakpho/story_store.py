"""Writes of a session's story (speakpho.story documents the fields): the expression parts
that append timeline entries and client eventIds to the session item, shared by every write
that carries some (start, switch, heartbeat gap, events, end, closes), the two writes that
exist only for the story (client events on a closed session's item, a heartbeat gap), and a
live session's event batches (table session_events: speakpho.metering.events writes one item
per call, the session's close folds them into the story: speakpho.metering.fold).

Appending is `list_append` on `story`; client events also `ADD` their ids to the `eventIds`
string set and count into `eventCount`, conditioned on none of the ids being there yet and
on the count staying within story.MAX_EVENTS_PER_SESSION. A lost condition raises
ConditionLost with the session as it was (ReturnValuesOnConditionCheckFailure=ALL_OLD), and
the domain decides from it (speakpho.metering.events).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from speakpho import ddb
from speakpho.story import MAX_EVENTS_PER_SESSION, MAX_STORY_ENTRIES
from speakpho.store import TableStore, conditional


@dataclass
class StoryAppend:
    """What one session update adds to the story: `entries` (timeline entries, server and
    client, in the order to record them) and `event_ids` (the client eventIds among them,
    each new). `capped`: the entries are optional and recorded only while the story holds
    fewer than MAX_STORY_ENTRIES (the write's condition says so). `folded_ids`: the eventIds
    of the live session's batches a close folds in, among `entries` too; they are added and
    counted without a condition each (a close is the one write from active to ended, and a
    batch's events were checked new when it was written)."""
    entries: list[dict] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    capped: bool = False
    folded_ids: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def parts(self, prefix: str = "st") -> tuple[list[str], list[str], list[str], dict]:
        """(SET clauses, ADD clauses, condition terms, values) for an UpdateItem on the session."""
        sets, adds, conditions, values = [], [], [], {}
        if not self.entries:
            return sets, adds, conditions, values
        sets.append(f"story = list_append(if_not_exists(story, :{prefix}empty), :{prefix}entries)")
        values[f":{prefix}empty"] = []
        values[f":{prefix}entries"] = self.entries
        if self.capped:
            conditions.append(f"(attribute_not_exists(story) OR size(story) < :{prefix}cap)")
            values[f":{prefix}cap"] = MAX_STORY_ENTRIES
        if self.event_ids or self.folded_ids:
            n = len(self.event_ids) + len(self.folded_ids)
            sets.append(f"eventCount = if_not_exists(eventCount, :{prefix}zero) + :{prefix}n")
            adds.append(f"eventIds :{prefix}ids")
            values.update({f":{prefix}zero": 0, f":{prefix}n": n,
                           f":{prefix}ids": set(self.event_ids) | set(self.folded_ids)})
        if self.event_ids:
            values[f":{prefix}room"] = MAX_EVENTS_PER_SESSION - len(self.event_ids) - len(self.folded_ids)
            conditions.append(f"(attribute_not_exists(eventCount) OR eventCount <= :{prefix}room)")
            for i, event_id in enumerate(self.event_ids):
                conditions.append(f"NOT contains(eventIds, :{prefix}id{i})")
                values[f":{prefix}id{i}"] = event_id
        return sets, adds, conditions, values


def update_expression(sets: list[str], adds: list[str]) -> str:
    expression = "SET " + ", ".join(sets) if sets else ""
    if adds:
        expression += " ADD " + ", ".join(adds)
    return expression.strip()


@dataclass
class StoryStore(TableStore):
    # live session's event batches ------------------------------------------
    def put_event_batch(self, *, session_id: str, user_id: str, batch_id: str, entries: list[dict],
                        expires_at: int) -> None:
        """One events call's new events as one item: the call writes what they weigh."""
        self.client.put_item(TableName=self.table("session_events"), Item=ddb.serialize({
            "sessionId": session_id, "batchId": batch_id, "userId": user_id, "entries": entries,
            "expiresAt": expires_at}))

    # session item ------------------------------------------------------------
    def append_events(self, *, user_id: str, session_id: str, entries: list[dict], event_ids: list[str],
                      lowest: int, highest: int, cutoff: int) -> int:
        """Appends client events; returns the session's eventCount after them.

        Conditions: the learner's session; every entry's time inside the session's span
        (startedAt <= lowest; and the session active, the entries being clamped to now, or
        ended at or after `highest` and, it or its close (`closedAt`, a server's close), at or
        after `cutoff`); the story's own (new ids, room).
        ConditionLost with `current` = the session as it was (None when absent)."""
        sets, adds, conditions, values = StoryAppend(entries, event_ids).parts()
        values.update({":uid": user_id, ":lo": lowest, ":hi": highest, ":cutoff": cutoff, ":active": "active",
                       ":one": 1})
        resp = conditional(
            self.client.update_item,
            TableName=self.sessions,
            Key=ddb.serialize({"sessionId": session_id}),
            UpdateExpression=update_expression(sets, adds + ["version :one"]),
            ConditionExpression=" AND ".join(["userId = :uid", "startedAt <= :lo",
                                              "(#status = :active OR (endedAt >= :hi AND "
                                              "(endedAt >= :cutoff OR closedAt >= :cutoff)))",
                                              *conditions]),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=ddb.values(values),
            ReturnValues="UPDATED_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return int(ddb.deserialize(resp["Attributes"])["eventCount"])

    def append_to_live_story(self, *, user_id: str, session_id: str, entry: dict) -> None:
        """Appends one optional server entry (a heartbeat gap) to an active session's story,
        while it holds fewer than MAX_STORY_ENTRIES. ConditionLost otherwise."""
        sets, adds, conditions, values = StoryAppend([entry], capped=True).parts()
        values.update({":uid": user_id, ":active": "active", ":one": 1})
        conditional(
            self.client.update_item,
            TableName=self.sessions,
            Key=ddb.serialize({"sessionId": session_id}),
            UpdateExpression=update_expression(sets, adds + ["version :one"]),
            ConditionExpression=" AND ".join(["userId = :uid", "#status = :active", *conditions]),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=ddb.values(values),
        )
