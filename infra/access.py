"""Least privilege as data: per function, per table, the DynamoDB actions its code calls and
the GSIs it queries. infra/constructs/functions.py turns this into each role's policy and
tests/infra/test_infra_grants.py checks the synthesized policies against it exactly.

How a call maps to an IAM action (DynamoDB's IAM reference):
- TransactWriteItems is authorized per item: a Put needs PutItem, an Update UpdateItem, a
  Delete DeleteItem, a ConditionCheck ConditionCheckItem, on that item's table;
  TransactGetItems likewise needs GetItem.
- BatchWriteItem is its own action and covers both its puts and its deletes.
- A Query on a GSI is authorized on the index ARN (`<table>/index/<name>`), a Query on the
  table on the table ARN. Indexes are granted by name, never `index/*`.
- An Idempotency-Key's record (speakpho.idempotency) is read in the call's TransactGetItems
  (GetItem) and put in its TransactWriteItems (PutItem); it is never updated or deleted (TTL).

Nothing here grants Scan, DescribeTable or any wildcard. On the billing tables (usage_periods,
sessions) PutItem appears only where an item is created whole (the session at start, the
allowance audit row) and DeleteItem/BatchWriteItem never.

To let a function make a new call, add the action here with the code that makes it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

IDEMPOTENCY_ACTIONS = ("GetItem", "PutItem")


@dataclass(frozen=True)
class Grant:
    """Actions on one table (short names: "GetItem"), and the GSIs it may Query."""
    actions: tuple[str, ...] = ()
    indexes: tuple[str, ...] = ()
    why: str = ""

    @property
    def iam_actions(self) -> tuple[str, ...]:
        return tuple(f"dynamodb:{action}" for action in self.actions)


@dataclass(frozen=True)
class Access:
    """A function's grants by logical table name (speakpho.tables); `streams`: tables whose
    stream it reads, granted by its event source mapping, not here."""
    grants: dict[str, Grant] = field(default_factory=dict)
    streams: tuple[str, ...] = ()

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables the function is told about (environment variables)."""
        return tuple(self.grants)


ACCESS: dict[str, Access] = {
    "session": Access({
        "usage_periods": Grant(
            ("GetItem", "UpdateItem"),
            why="usage and end read the period row; start reads the period and profile rows in one "
                "TransactGetItems; start (reserve, number the session), heartbeat and end (charge) update "
                "them. Both rows are created by conditional updates, never put."),
        "sessions": Grant(
            ("GetItem", "PutItem", "UpdateItem"),
            why="start creates the session (conditional Put in its transaction); heartbeat and end read it; "
                "switch-provider, end and a start that closes the previous session update it"),
        "session_events": Grant(("PutItem", "Query"),
                                why="an events call puts its batch and reads the session's batches (repeats, the "
                                    "count); an end or a closing start reads them to fold them into the story"),
        "session_messages": Grant(("BatchWriteItem",), why="end writes the transcript in batches of 25"),
        "corrections": Grant(
            ("BatchWriteItem", "UpdateItem"),
            why="end writes the session's corrections in batches and adds them to the learner's #stats row"),
        "idempotency": Grant(IDEMPOTENCY_ACTIONS,
                             why="an Idempotency-Key on start: its record, read and put by the start's transactions"),
    }),
    "sweeper": Access({
        "usage_periods": Grant(
            ("GetItem", "UpdateItem"), indexes=("active_by_sweep",),
            why="finds active meters whose sweep deadline passed, re-reads each period row and charges it"),
        "sessions": Grant(("GetItem", "UpdateItem"),
                          why="closes the stale session (in the charging transaction); puts the events batched "
                              "while it closed on its item (read, then a conditional update)"),
        "session_events": Grant(("Query",), why="reads the session's batched events to fold them into its story"),
    }),
    "hangup": Access({
        "sessions": Grant(("GetItem", "UpdateItem"),
                          why="reads the session the schedule names and records that its call was hung up"),
    }),
    "learning": Access({
        "usage_periods": Grant(
            ("GetItem", "UpdateItem"),
            why="reads the profile row (history numbering); erasure moves its historyErasedThrough forward, "
                "deleting a session adds its number to historyDeleted"),
        "sessions": Grant(
            ("GetItem", "UpdateItem"), indexes=("learning_history_view",),
            why="history pages and session detail; erasure and a session's deletion take sessions out of "
                "the history index (update: the session items stay, they are usage records)"),
        "session_messages": Grant(("Query", "BatchWriteItem"),
                                  why="reads a transcript; erasure and a session's deletion delete it in batches"),
        "corrections": Grant(
            ("GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"),
            indexes=("corrections_by_session", "corrections_by_created", "corrections_by_category",
                     "corrections_by_reviewed", "corrections_by_category_reviewed", "corrections_due"),
            why="lists, review queue, reviews and disputes (update; a review reads the correction with the "
                "#memory row in one BatchGetItem and updates both), GET/PUT memory (#memory and #stats: "
                "BatchGetItem, update), import (existence check, conditional puts), erasure (query the learner's partition, delete in batches), a session's deletion "
                "(conditional deletes with the #stats update in transactions)"),
        "idempotency": Grant(IDEMPOTENCY_ACTIONS,
                             why="an Idempotency-Key on a review: its record, read and put by the review's transactions"),
    }),
    "erasure": Access({
        "usage_periods": Grant(("GetItem", "UpdateItem"),
                               why="reads and updates the job's row and the profile (historyErasedThrough)"),
        "sessions": Grant(("GetItem", "UpdateItem"), indexes=("learning_history_view",),
                          why="reads the history in slices; closes each session to ends, lowers its "
                              "correctionCount with its counted corrections and takes it out of the history "
                              "(update: the session items stay, they are usage records)"),
        "session_messages": Grant(("Query", "BatchWriteItem"), why="deletes each session's transcript in batches"),
        "corrections": Grant(
            ("GetItem", "Query", "UpdateItem", "DeleteItem", "BatchWriteItem"), indexes=("corrections_by_session",),
            why="reads #stats and each session's corrections; counted deletes with the #stats update in "
                "transactions, uncounted ones in batches; the imported ones from the learner's partition"),
    }),
    "optimizer": Access({
        "corrections": Grant(
            ("Query", "UpdateItem"), indexes=("memory_optimise_due",),
            why="reads the learners flagged in the sparse memory_optimise_due index, queries each one's "
                "partition for the review logs, and writes the parameters on their #memory row (update)"),
    }),
    "conversation": Access({
        "session_messages": Grant(("Query",), why="reads the learner's lines of the transcript the end stored"),
        "corrections": Grant(
            ("GetItem", "Query", "UpdateItem"), indexes=("corrections_due", "corrections_by_created"),
            why="reads the learner's due and newest corrections (bounded queries) and their #memory row; "
                "each correction said is reviewed by an update with the #memory row's in one transaction, "
                "re-read (GetItem) when a review from the Review tab changed it meanwhile"),
    }, streams=("sessions",)),
    "admin": Access({
        "usage_periods": Grant(
            ("GetItem", "Query", "UpdateItem", "PutItem"),
            why="reads a learner's period and allowance history; setting an allowance updates the period "
                "row and puts its audit row (allowance#..., conditional on not existing)"),
        "sessions": Grant(("GetItem", "BatchGetItem"), indexes=("sessions_by_day_keys", "sessions_by_user_keys"),
                          why="session lists and a user's stats: the keys from the day or user index, then "
                              "the page's items in one BatchGetItem; one session's detail"),
        "session_messages": Grant(("Query",), why="session detail reads the transcript"),
        "session_events": Grant(("Query",), why="a live session's detail shows its batched events"),
        "corrections": Grant(indexes=("corrections_by_session",), why="session detail reads the corrections"),
        "session_rollups": Grant(("Query",), why="health stats from the month partitions of the rollups"),
    }),
    "signup": Access({
        "mailbox_claims": Grant(
            ("GetItem", "PutItem", "UpdateItem"),
            why="pre sign-up puts the pending claim (conditional), reads the holder of a taken mailbox and "
                "replaces a released claim (conditional put); post confirmation updates the claim to confirmed"),
    }),
    "rollups": Access({
        "session_rollups": Grant(
            ("GetItem", "PutItem", "UpdateItem"),
            why="reads a session's ledger row, then adds to the cells (update) and writes the ledger (put)"),
    }, streams=("sessions",)),
    "mistakes": Access({
        "session_rollups": Grant(
            ("BatchGetItem", "PutItem", "UpdateItem"),
            why="reads a batch's ledger rows, then its pairs' counter rows and its day cells' top maps (batch "
                "gets); adds to the cells and counters (update) and writes the ledger rows (put) in one "
                "transaction per group of records; sets a cell's top map (conditional update)"),
        "sessions": Grant(("BatchGetItem",), why="a correction's topic and difficulty are its session's (a batch's "
                                                  "sessions in one batch get)"),
    }, streams=("corrections",)),
}
