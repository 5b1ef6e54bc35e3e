"""Common mistakes in `make bench` (issue 20 §4): GET /api/admin/corrections/stats for 7 and 366
days. The read is one Query per write shard of each month of the range (docs/admin.md "Common
mistakes"; MISTAKES_SHARDS, 15), whatever the corrections: (1-2) x shards for 7 days, 13 x shards
for 366.

The bench's tables have no streams (bench/run.py): the corrections the session bench stored are
handed to the mistakes function as the INSERT records its stream would have delivered.
"""
from __future__ import annotations

DAY_MS = 86_400_000
YEAR_MONTHS = 13


def _feed_corrections(gateway, client) -> int:
    """Every stored correction as an INSERT stream record, through the mistakes function."""
    from infra.catalog import MISTAKES
    from speakpho.table_setup import table_name
    from speakpho.tables import CORRECTIONS

    table = table_name(CORRECTIONS)
    keys = [k["AttributeName"] for k in client.describe_table(TableName=table)["Table"]["KeySchema"]]
    records = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            records.append({"eventID": str(len(records)), "eventName": "INSERT", "eventSource": "aws:dynamodb",
                            "dynamodb": {"Keys": {k: item[k] for k in keys}, "NewImage": item,
                                         "SequenceNumber": str(len(records) + 1),
                                         "StreamViewType": "NEW_AND_OLD_IMAGES"}})
    if records:
        answer = gateway.invoke(MISTAKES.handler, {"Records": records}, name="mistakes") or {}
        failed = answer.get("batchItemFailures") or []
        if failed:
            raise RuntimeError(f"the mistakes function failed {len(failed)} of {len(records)} records")
    return len(records)


def run(*, gateway, meter, clock, client, record, Caller, fail) -> None:
    from speakpho.clock import utc_day
    from speakpho.config import get_settings

    print("common mistakes")
    fed = _feed_corrections(gateway, client)
    root = Caller(gateway, meter, "bench-root", admin=True)
    shards = get_settings().mistakes_shards
    now = clock.now_ms()
    to_day = utc_day(now)
    for days in (7, 366):
        from_day = utc_day(now - (days - 1) * DAY_MS)
        months = (int(to_day[:4]) - int(from_day[:4])) * 12 + int(to_day[5:7]) - int(from_day[5:7]) + 1
        budget = (months if days == 7 else YEAR_MONTHS) * shards
        stats, r = root.call("GET", "/api/admin/corrections/stats", query=f"from={from_day}&to={to_day}")
        counted = sum(stats["byCategory"].values())
        record("admin", f"GET /api/admin/corrections/stats {days} days", r, budget,
               note=f"{months} months x {shards} shards; {counted} of {fed} corrections counted")
        queries = r.ops.get("Query", 0)
        if queries != months * shards or r.requests != queries:
            fail(f"corrections stats {days} days: {dict(r.ops)}, expected one Query per shard of each month "
                 f"({months} x {shards})")
    if fed and not counted:
        fail("corrections stats: the corrections fed to the mistakes function are not counted")
