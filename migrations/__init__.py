"""Index migrations of the tables that hold data (docs/migrations.md): expand, backfill,
switch, contract, one global secondary index per table per deploy.

    steps.py     an index step: what one deploy puts in place (read by infra/constructs/tables.py)
    plan.py      the planner: from the live tables and the specs, each table's next step (pure)
    backfill.py  the attribute backfill of active_by_sweep (activeSweepAt), paged through its predecessor
    live.py      DescribeTable, the backfill's measure, and the steps carried out in place (the local runner)
    __main__.py  python -m migrations plan|backfill|verify|steps

An operations tool, used against AWS too: deployed code never imports it.
"""
