"""Admin routes in `make bench`: the stats and list calls at two table sizes.

Sessions are bulk-loaded (with the rollup cells the stream processor would have
written) over the year before the bench clock; a 7-day stats call must make the same
number of DynamoDB requests at 1,000 and at 50,000 sessions.
"""
from __future__ import annotations

import time

SIZES = (1_000, 50_000)


def run(*, gateway, meter, clock, client, record, Caller, fail) -> None:
    from bench.seeding import seed_sessions, synthetic_sessions
    from speakpho.clock import utc_day
    from speakpho.config import get_settings

    print("admin area")
    root = Caller(gateway, meter, "bench-root", admin=True)
    now = clock.now_ms()
    to_day = utc_day(now)
    from_day = utc_day(now - 6 * 86_400_000)
    loaded = 0
    per_size: dict[int, dict[str, int]] = {}
    # The budgets, with the rollup month's write shards (docs/scale.md "Write-sharding"): one
    # Query per shard of each month in range, whatever the table holds. A list page adds, per
    # day read, one Query of the keys-only day index and one BatchGetItem of the items it found.
    shards = get_settings().rollup_shards
    months_7 = 1 if from_day[:7] == to_day[:7] else 2
    budgets = {"stats": months_7 * shards, "year": 13 * shards, "list": months_7 * shards + 2 * 7}
    print(f"  budgets with ROLLUP_SHARDS={shards}: 7-day stats {budgets['stats']} Queries, 366 days "
          f"{budgets['year']}, a 7-day list page at most {budgets['list']} requests (Queries and BatchGetItems)")
    for size in SIZES:
        started = time.monotonic()
        batch = synthetic_sessions(size - loaded, end_ms=now, days=365, seed=size, id_prefix=f"b{size}-")
        seed_sessions(client, get_settings(), batch, ledgers=False)
        loaded = size
        print(f"  ({size:,} sessions over a year loaded in {time.monotonic() - started:.1f} s)")
        query = f"from={from_day}&to={to_day}"
        stats, r = root.call("GET", "/api/admin/sessions", query=query + "&limit=50")
        per_size[size] = {"list": r.requests}
        record("admin", f"GET /api/admin/sessions 7 days, {size:,} sessions", r,
               note=f"{stats['stats']['totalSessions']} sessions in range")
        _, r = root.call("GET", "/api/admin/sessions/timeseries", query=query)
        per_size[size]["stats"] = r.requests
        record("admin", f"GET /api/admin/sessions/timeseries 7 days, {size:,}", r)
        _, r = root.call("GET", "/api/admin/sessions", query=query + "&provider=openai&hasDisconnect=true")
        record("admin", f"GET /api/admin/sessions 7 days filtered, {size:,}", r)
        year_from = utc_day(now - 365 * 86_400_000)
        _, r = root.call("GET", "/api/admin/sessions/timeseries", query=f"from={year_from}&to={to_day}")
        record("admin", f"GET /api/admin/sessions/timeseries 366 days, {size:,}", r)
        per_size[size]["year"] = r.requests
        over = {k: per_size[size][k] for k in budgets if per_size[size][k] > budgets[k]}
        if over:
            fail(f"admin requests over budget at {size:,} sessions: {over} (budgets {budgets})")
    small, large = (per_size[s] for s in SIZES)
    # Stats come from rollups: exactly the same requests. The list reads days until its page
    # is full, so a denser table may need fewer days, never more.
    ok = large["stats"] == small["stats"] and large["list"] <= small["list"]
    print(f"  7-day requests at {SIZES[0]:,} vs {SIZES[1]:,} sessions: stats {small['stats']} vs {large['stats']}, "
          f"list page {small['list']} vs {large['list']} -> {'did not grow' if ok else 'GREW'}")
    if not ok:
        fail(f"admin 7-day cost grew with the table: {small} -> {large}")
