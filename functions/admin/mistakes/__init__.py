"""The common mistakes across learners (issue 20 §4): daily rollup cells of the corrections,
written from the corrections table's stream, read by GET /api/admin/corrections/stats.

    sketch.py   the distinct-learner count of a pair: a 64-register HyperLogLog (64 characters or fewer)
    counts.py   what one correction image counts: its day, cells, pair, category and lapses
    topk.py     a day cell's bounded top-K pairs (refreshed from exact counters) and the merge of days
    ledger.py   the replay-safe ledger: each correction counted once, each lapse once
    batch.py    one stream delivery: the ledger rows read together, a transaction per group of records
    refresh.py  the top maps the batch touched, each refreshed once from the exact counters
    stats.py    the route's answer from the day cells of a range
    export.py   the same answer as CSV
    ports.py    what the domain needs from its stores
"""
