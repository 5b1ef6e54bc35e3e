"""Dollars per 1,000 learner-hours from `make load`'s measurements (docs/scale.md, "Cost").

Prices: us-east-1, on-demand, as read on PRICES_DATED (sources in docs/scale.md's price table).
Pure functions of the load's totals, so the arithmetic is tested on its own (tests/unit/test_cost.py).

What is priced per learner-hour:
- DynamoDB: the write and read units the load measured, every route, job and stream included;
- API Gateway (REST) and WAF: one request each per API call (the WAF's web ACL is on by default);
- Lambda: one request per API call and per job or stream invocation the load made, and the time
  in handlers at the functions' memory;
- provider access the load's learners do not make themselves (`POST /api/session/connect` places a
  WebRTC call, which 200 simulated learners cannot hold): added from make bench's measured figures
  for each OpenAI session (CONNECT_*), and the key reads at their at-scale rate (SECRET_READS_*).

Fixed monthly costs (the web ACL, its rules, SnapStart's cache, the two secrets) are not per
learner-hour; docs/scale.md lists them.
"""
from __future__ import annotations

PRICES_DATED = "2026-11-30"
DDB_WRITE_PER_MILLION = 0.625      # on-demand write request units, Standard table class
DDB_READ_PER_MILLION = 0.125       # on-demand read request units
API_REST_PER_MILLION = 3.50        # first 333 million a month
WAF_PER_MILLION = 0.60             # requests inspected by a web ACL
LAMBDA_REQUEST_PER_MILLION = 0.20
LAMBDA_GB_SECOND = 0.0000166667    # x86_64, first 6 billion GB-s a month
SECRETS_PER_10K_CALLS = 0.05
TARGET_PER_1000_LEARNER_HOURS = 1.00

# Every function is priced at 1 GB (the session function's memory; the others have less).
LAMBDA_GB = 1.0
# make bench (bench/provider_bench.py): POST /api/session/connect is 2 DynamoDB requests and
# 8 write units, plus one Scheduler call (free: under 14 million a month); the end's hangup and
# schedule delete add no DynamoDB request.
CONNECT_WRITE_UNITS = 8
CONNECT_HANDLER_MS = 60
# Key reads at scale: a warm container reads each of the 2 keys once per SECRET_MAX_AGE_SECONDS
# (300 s); at 100,000 learners in sessions about 250 session containers serve them, so
# 250 x 2 x 12 = 6,000 reads an hour for 100,000 learner-hours: 60 per 1,000 learner-hours.
# (A lone learner on a container of its own reads at most 24 an hour: docs/scale.md.)
SECRET_READS_PER_1000_LEARNER_HOURS = 60


def cost_per_1000_learner_hours(totals: dict, *, openai_sessions_per_learner_hour: float,
                                invocations_per_learner_hour: float) -> dict:
    """{item: dollars} per 1,000 learner-hours, and "total".

    `totals` is load.json's totals_per_learner_hour (api_calls, read_units, write_units, lambda_ms);
    the connect calls of the OpenAI sessions are added to the API, WAF, Lambda and writes."""
    per = 1000 / 1_000_000   # per learner-hour quantities, times 1,000 learner-hours, per million
    connects = openai_sessions_per_learner_hour
    api_calls = totals["api_calls"] + connects
    writes = totals["write_units"] + connects * CONNECT_WRITE_UNITS
    lambda_seconds = (totals["lambda_ms"] + connects * CONNECT_HANDLER_MS) / 1000
    items = {
        "DynamoDB writes": writes * per * DDB_WRITE_PER_MILLION,
        "DynamoDB reads": totals["read_units"] * per * DDB_READ_PER_MILLION,
        "API Gateway": api_calls * per * API_REST_PER_MILLION,
        "WAF": api_calls * per * WAF_PER_MILLION,
        "Lambda requests": (api_calls + invocations_per_learner_hour) * per * LAMBDA_REQUEST_PER_MILLION,
        "Lambda duration": lambda_seconds * 1000 * LAMBDA_GB * LAMBDA_GB_SECOND,
        "Secrets Manager": SECRET_READS_PER_1000_LEARNER_HOURS / 10_000 * SECRETS_PER_10K_CALLS,
    }
    items["total"] = sum(items.values())
    return items


def cost_lines(items: dict) -> list[str]:
    """The printed table: each item, its share of the total, the total against the target."""
    total = items["total"]
    lines = [f"cost per 1,000 learner-hours (us-east-1 on-demand prices of {PRICES_DATED}, WAF included):"]
    for name, dollars in items.items():
        if name != "total":
            lines.append(f"  {name:<18} ${dollars:7.3f}  {100 * dollars / total:5.1f} %")
    verdict = "within" if total <= TARGET_PER_1000_LEARNER_HOURS else "OVER"
    lines.append(f"  {'total':<18} ${total:7.3f}  ({verdict} the target of ${TARGET_PER_1000_LEARNER_HOURS:.2f})")
    return lines


def priced(rows: list[dict], totals: dict, learner_hours: float) -> dict:
    """The dollars per 1,000 learner-hours for this run. Half the learners start on
    OpenAI and a switch alternates, so one start in two and one switch in two connect a call."""
    calls = {r["route"]: r["calls"] for r in rows}
    connects = (calls.get("POST /api/session/start", 0) + calls.get("POST /api/session/switch-provider", 0)) / 2
    invocations = sum(r["calls"] for r in rows if r["route"].startswith(("stream", "job")))
    items = cost_per_1000_learner_hours(totals, openai_sessions_per_learner_hour=connects / learner_hours,
                                        invocations_per_learner_hour=invocations / learner_hours)
    return {name: round(dollars, 4) for name, dollars in items.items()}
