"""Admin session health, by concern (domain only: plain data and a store interface, no HTTP,
no botocore):

    filters   the HealthFilter value type (a range of start days + equality filters)
    cells     rollup cells: keys, what a session contributes, deltas (pure functions)
    reliability  a session's story as cell counters, a row's story fields, reliability stats
    latency   a session's latency histograms as cell counters, the percentiles summed from cells
    ledger    the replay-safe ledger the stream processor applies changes with
    ports     the stores' interfaces (typing.Protocol), so no domain module imports a store
    stats     stats and the time series, summed from cells
    listing   the session list: pages, cursors
    export    the CSV export
    detail    one session with its timeline, messages and corrections

Nothing is imported here: the stream Lambda (admin.rollups) loads cells, reliability, latency
and ledger only.
"""
