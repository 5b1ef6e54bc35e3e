"""The partition model's declarations and report: the peak it models, the partition keys many
learners write by design (SHARED, each with why), and the markdown block of docs/scale.md.
bench/partition_model.py runs the sample and analyses it."""
from __future__ import annotations

import re
from dataclasses import dataclass


LEARNERS = 1_000_000
CONCURRENT = 100_000            # in a session at the evening peak
SESSION_SECONDS = 600           # the average session (bench/load.py's learners: 8-12 minutes)
MESSAGES, CORRECTIONS = 40, 5   # stored at the end of a session
SWITCH_EVERY = 4                # one session in four switches provider once
DISCONNECT_EVERY = 10           # one in ten ends with close code 1006
SAMPLE_LEARNERS = 16            # each runs two sessions on the same UTC day; 1 per active shard (16)
LIMIT_WCU, LIMIT_RCU = 1000, 3000
TARGET = 0.5                    # design target: a partition at most at half its limit at the peak
T0_MS = 1_794_333_600_000       # 2026-11-10T18:00Z
SESSION_RATE = CONCURRENT / SESSION_SECONDS   # sessions started (and ended) per second at the peak
CATEGORIES = ("grammar", "tone", "vocabulary", "word_order", "pronunciation")
# The common mistakes at the evening peak: every day cell's top map is full (admin.mistakes.topk.
# TOP_K pairs, each with its texts and a learner sketch: several KB) and the sample's pairs are
# among its most common (each session end changes their counts, so each rewrites the map: the
# worst case); their counter rows hold the sketch elements of PAIR_LEARNERS learners.
PAIR_LEARNERS = 1000


def heartbeat_seconds() -> int:
    """The client's interval: the setting the start answers (HEARTBEAT_INTERVAL_SECONDS, 60 s)."""
    from speakpho.config import get_settings

    return get_settings().heartbeat_interval_seconds


@dataclass(frozen=True)
class Shared:
    """A partition key many learners write by design, and why it stays under the target."""
    why: str
    # The value is a hash of a random id (a session id): a million learners spread evenly over
    # its values, so the sample's hottest value is noise and the mean is the figure.
    hashed: bool = False
    # Every value of the key is a hash of the learner id: at scale each is shared by many
    # learners, even where the sample puts one learner in a value (16 learners, 16 shards).
    by_learner: bool = False
    # For a hashed key: the prefix of each sharded key family -> the setting of its shard count.
    # A family's figure is its writes / its shards (a million sessions use every shard evenly;
    # the sample's few sessions leave some unwritten). Shards are "#n" suffixes, shard 0 none.
    shards: tuple = ()


# Every partition key that concentrates many learners' writes. A new one fails the test.
SHARED = {
    "usage_periods/active_by_sweep": Shared(
        "`activeShard`: `Settings.active_shards` values (16, was 8), n = crc32(userId); written at the start, "
        "the end and by the one heartbeat in `SWEEP_BUCKET_SECONDS` / `HEARTBEAT_INTERVAL_SECONDS` (1 in 5) that "
        "moves `activeSweepAt` to the next bucket (a delete and a put); the others leave the entry as it is; "
        "the sweeper queries every shard", by_learner=True),
    "sessions/sessions_by_day_keys": Shared(
        "`startDay`: one value per UTC day, so every session of the day; keys only, so written once per "
        "session (its start: the keys never change after), and under the target as it is, so not sharded "
        "(write-sharding it by `YYYY-MM-DD#n` would multiply the admin list's Queries)"),
    "session_rollups": Shared(
        "`pk` = `month#YYYY-MM#n`, n = crc32(sessionId) % `Settings.rollup_shards` (4; shard 0 unsuffixed): the "
        "rollup cells of the month (ledger rows are per session); stats and series query every shard of each "
        "month and add the cells up. The common mistakes' `mistakes#YYYY-MM#n` (every day cell's counters and "
        "top map rows) and `mistakes-pair#<day>#<topic>#n` (the pairs' counters; topic `*` takes every "
        "correction), n = crc32(the batch's first correction id) % `Settings.mistakes_shards` (MISTAKES_SHARDS; "
        "shard 0 unsuffixed): a session end's batch (modelled alone) adds to its shard's 4 cells (a transaction) "
        "and rewrites their full top maps "
        "(several KB each, the worst case); the ledger rows are per correction; stats and export query every "
        "shard of each month and merge them. The figure is the hottest family's writes / its shards",
        hashed=True, shards=(("month#", "rollup_shards"), ("mistakes#", "mistakes_shards"),
                             ("mistakes-pair#", "mistakes_shards"))),
}
SHARED["corrections/memory_optimise_due"] = Shared(
    "`optimiseDue`: one value (`OPTIMISE_DUE`); written by the review that takes a learner's review count to 8, "
    "then to each doubling after a fit (a few times in a learner's life), and cleared by the optimiser; at the "
    "peak it takes under a tenth of its limit")
SKEW_NOISE = 1.25   # a hottest value within 25 % of the mean is sampling noise: the key spreads evenly


def shard_count(shared: Shared, stem: str) -> int:
    """The shards of a hashed key family at scale (its setting; 1 when the stem is in no family)."""
    from speakpho.config import get_settings

    for prefix, setting in shared.shards:
        if stem.startswith(prefix):
            return int(getattr(get_settings(), setting))
    return 1


def shard_stem(value: str) -> str:
    """A write-sharded key without its shard ("month#2026-11#3" -> "month#2026-11"; shard 0 has none)."""
    return re.sub(r"#\d+$", "", value)


@dataclass
class Row:
    target: str
    key: str
    shared: bool
    values: int          # distinct partition key values the sample wrote (the shared ones, when shared)
    skew: float          # hottest shared value / mean of the shared values
    peak: float          # WCU/s on the hottest partition at the peak (one learner's: its worst second)

    @property
    def reaches_limit_at(self) -> int | None:
        return int(CONCURRENT * LIMIT_WCU / self.peak) if self.shared and self.peak else None


def status(row: Row) -> str:
    if row.peak > LIMIT_WCU:
        return "**over the limit**"
    return "over the 50 % target" if row.peak > TARGET * LIMIT_WCU else "ok"


def markdown(rows: list[Row]) -> str:
    lines = [
        f"Peak: {CONCURRENT:,} of {LEARNERS:,} learners in a session; sessions of {SESSION_SECONDS // 60} min "
        f"({SESSION_RATE:.1f} starts and as many ends per second); a heartbeat every {heartbeat_seconds()} s "
        f"({CONCURRENT // heartbeat_seconds():,}/s); {MESSAGES} messages and {CORRECTIONS} corrections stored per "
        f"session, then one review; one session in {SWITCH_EVERY} switches provider. Sample: "
        f"{SAMPLE_LEARNERS:,} learners x 2 sessions through the real code. Limit per partition "
        f"{LIMIT_WCU:,} WCU/s; design target {int(TARGET * 100)} % of it.",
        "",
        "| table / index | partition key | written by | WCU/s, hottest partition | % of limit "
        "| limit reached at (learners in sessions) | status |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        who = f"many learners: {r.values} value{'s' if r.values > 1 else ''}" if r.shared else "one learner"
        reach = f"{r.reaches_limit_at:,}" if r.reaches_limit_at else "—"
        lines.append(f"| `{r.target}` | `{r.key}` | {who} | {r.peak:.1f} | {100 * r.peak / LIMIT_WCU:.0f} % "
                     f"| {reach} | {status(r)} |")
    lines += ["", "Shared partition keys (declared in `bench/partition_shared.py` `SHARED`):", ""]
    for r in rows:
        if r.target in SHARED:
            shared = SHARED[r.target]
            # A hash of random session ids: the sample's skew changes from run to run; not shown.
            spread = (f"{r.values} values, the mean taken (the keys hash ids)" if shared.hashed
                      else f"Hottest of {r.values} value(s) / mean: {r.skew:.2f}")
            lines.append(f"- `{r.target}` — {shared.why}. {spread}.")
    return "\n".join(lines) + "\n"
