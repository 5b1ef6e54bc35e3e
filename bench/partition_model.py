"""Partition model: write units per second on the hottest partition of every table and index,
for 1,000,000 learners with 100,000 in sessions at the evening peak.

    python -m bench.partition_model              the table
    python -m bench.partition_model --markdown   the block of docs/scale.md (a test compares them)

A sample of learners runs real sessions through the domain code and the real stores on moto
(tables from speakpho.tables); every write request they send is recorded and costed per
partition (bench/partition_sim.py). A partition written by two or more learners of the sample
is *shared* (a day, a month, a shard: every learner maps into a few values) and takes its
share of the whole population's session rate; a partition written by one learner (a user, a
session, a request) takes that learner's own worst second.
"""
from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

from bench.partition_sim import Sim, sample_tables

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
        "correction), n = crc32(sessionId) % `Settings.mistakes_shards` (MISTAKES_SHARDS; shard 0 unsuffixed): "
        "a session end's batch adds to its shard's 4 cells (a transaction) and rewrites their full top maps "
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


def learner_ids(count: int) -> list[str]:
    """`count` learner ids, as evenly spread over the active shards as a million learners are
    (125,000 +- 0.3 % in each of 8): a few dozen ids taken in order would not be, and the model
    would read the sample's noise as a hot shard."""
    from speakpho.config import get_settings
    from speakpho.tables import active_shard

    shards = get_settings().active_shards
    per_shard, ids, n = Counter(), [], 0
    while len(ids) < count:
        user_id, n = f"learner-{n:07d}", n + 1
        if per_shard[active_shard(user_id, shards)] < -(-count // shards):
            per_shard[active_shard(user_id, shards)] += 1
            ids.append(user_id)
    return ids


def run_sample(learners: int = SAMPLE_LEARNERS, specs=None) -> tuple[Sim, int]:
    """Runs `learners` x 2 sessions through the real code and stores on moto (tables from
    `specs`, speakpho.tables' by default); returns the Sim and the sessions run."""
    from botocore.exceptions import ClientError

    from admin.health.ledger import apply_session_change
    from admin.mistakes.batch import Change, apply_batch
    from admin.mistakes_store import mistakes_store
    from admin.rollup_store import rollup_store
    from learning import review
    from learning.learning_store import learning_store
    from learning.requests import CorrectionReview
    from speakpho import deps, idempotency, metering
    from speakpho.clock import clock
    from speakpho.config import get_settings
    from speakpho.corrections import session_correction_id
    from speakpho.errors import AppError
    from speakpho.models import EndSessionRequest, StartSessionRequest
    from tests.provider_fakes import fake_ports   # the providers answer in memory: the model counts DynamoDB

    sim = Sim(specs) if specs else Sim()
    ports = fake_ports()
    sessions = 0
    with sample_tables(sim):
        store, settings = deps.metering_store(), get_settings()

        steady_mistakes(settings.mistakes_shards)
        sim.writes.clear(), sim.creators.clear(), sim.stream.clear()   # the state at the peak costs nothing here

        def at(second: int) -> None:
            sim.second = second
            clock.set(T0_MS + second * 1000)
            for old, new in sim.take_stream():     # the stream processor, as the record arrives
                apply_session_change(rollup_store(), (new or old)["sessionId"], new, old)
            # The mistakes consumer: the call's corrections changes as one batch (a session end's
            # 5 insertions together, each review's change alone: no batching across learners,
            # the worst case for the shared partitions).
            changes = [Change(str((new or old)["correctionId"]), new, old) for old, new in sim.take_stream("corrections")]
            if changes:
                result = apply_batch(mistakes_store(), changes)
                if result.failed_at is not None:
                    sim.refused.append(f"the mistakes consumer failed at {sim.learner}: {result.error!r}")

        def session(n: int, user: metering.UserRef, number: int, base: int) -> None:
            """The learner's `number`th session of the sample, starting at second `base`."""
            at(base)
            provider = ("gemini", "openai")[n % 2]
            start = StartSessionRequest(topic="food", mode=("coach", "free")[n % 3 == 0], provider=provider)
            started = metering.start_session(  # as the route runs it, with an Idempotency-Key
                store, settings, clock, user, start, ports=ports,
                once=idempotency.keyed(("start", user.user_id), f"start-{number}", start.model_dump(),
                                       ttl_seconds=settings.idempotency_ttl_seconds))
            sim.session = started["sessionId"]
            at(base)
            interval = heartbeat_seconds()
            for beat in range(1, SESSION_SECONDS // interval + 1):
                at(base + beat * interval)
                metering.heartbeat(store, settings, clock, user, sim.session, ports)
                if beat == 5 and number % SWITCH_EVERY == 1:
                    provider = "openai" if provider == "gemini" else "gemini"
                    metering.switch_provider(store, settings, clock, user, sim.session, provider, 1006, None, ports)
                at(base + beat * interval)
            end = EndSessionRequest(
                sessionId=sim.session, disconnectCode=1006 if number % DISCONNECT_EVERY == 0 else 1000,
                provider=provider,
                messages=[{"role": "user" if i % 2 else "coach", "text": f"Tôi muốn ăn phở {i}",
                           "timestamp": clock.now_ms()} for i in range(MESSAGES)],
                corrections=[{"original": f"sai {i}", "correction": f"đúng {i}", "category": c}
                             for i, c in enumerate(CATEGORIES[:CORRECTIONS])])
            metering.end_session(store, settings, clock, user, end, ports)
            at(base + SESSION_SECONDS)
            # The learner reviews the session's corrections: two sessions pass the 8 reviews that
            # flag its FSRS parameters for the optimiser (the memory_optimise_due index).
            rating = CorrectionReview(confidenceLevel=4)
            for index in range(CORRECTIONS):
                card = session_correction_id(sim.session, index)
                review.review_correction(
                    learning_store(), clock, user.user_id, card, rating,
                    once=idempotency.keyed(("review", user.user_id, card), f"review-{number}-{index}",
                                           rating.model_dump(), ttl_seconds=settings.idempotency_ttl_seconds))
                at(base + SESSION_SECONDS)

        def sign_up(n: int, user_id: str) -> None:
            """The sign-up trigger's claim of the learner's mailbox (functions/signup), then its confirmation."""
            from signup.claims import claim_mailbox, confirm_mailbox
            from signup.mailbox import mailbox_of
            from signup.store import TABLE, DynamoClaimStore

            at(n % SESSION_SECONDS)
            claims = DynamoClaimStore(deps.dynamodb_client(), settings.table(TABLE))
            key = mailbox_of(f"{user_id}@example.com").key
            claim_mailbox(claims, None, key=key, pool_id="learners", user_name=user_id, now=clock.now_ms() // 1000)
            confirm_mailbox(claims, key=key, user_name=user_id, now=clock.now_ms() // 1000)

        try:
            for n, user_id in enumerate(learner_ids(learners)):
                sim.learner = user_id
                sign_up(n, user_id)
                for round_ in range(2):
                    sessions += 1   # starts spread over the peak
                    session(n, metering.UserRef(user_id, f"{user_id}@example.com", email_verified=True), sessions,
                            n % SESSION_SECONDS + round_ * 2 * SESSION_SECONDS)
        except (ClientError, AppError) as exc:   # the code cannot run on these tables (a test's variant)
            sim.refused.append(f"the sample stopped at {sim.learner}: {type(exc).__name__}: {exc}")
        finally:
            clock.set(None)
    return sim, sessions


def steady_mistakes(shards: int) -> None:
    """The common-mistakes rows of the sample's day as the evening peak finds them, in every write
    shard: full top maps (the sample's pairs among the TOP_K, TOP_K - CORRECTIONS others), the
    sample's pairs' counter rows with PAIR_LEARNERS learners' sketch elements."""
    from admin.mistakes import sketch
    from admin.mistakes.counts import ALL, cell_key, pair_id
    from admin.mistakes.refresh import map_entry
    from admin.mistakes.topk import TOP_K
    from admin.mistakes_store import PAIR_COUNT, PAIR_LEARNERS as LEARNERS_OF, mistakes_store
    from speakpho import ddb
    from speakpho.mistake_keys import mistakes_pair_key
    from speakpho.models import StartSessionRequest

    store = mistakes_store()
    day, topic = "2026-11-10", "food"
    difficulty = StartSessionRequest(topic=topic, mode="coach", provider="gemini").difficulty
    elements = {sketch.element(f"learner-{n:07d}") for n in range(PAIR_LEARNERS)}
    ours = {pair_id(f"sai {i}", f"đúng {i}", c): (f"sai {i}", f"đúng {i}", c) for i, c in enumerate(CATEGORIES)}
    for shard in range(max(1, shards)):
        for row_topic in (topic, ALL):
            for pair, (o, c, cat) in ours.items():
                item = {**mistakes_pair_key(day, row_topic, pair, shard), "o": o, "c": c, "cat": cat, "seq": 1}
                for part in (difficulty, ALL):
                    item[PAIR_COUNT + part], item[LEARNERS_OF + part] = PAIR_LEARNERS, set(elements)
                store.client.put_item(TableName=store.rollups, Item=ddb.serialize(item))
            for part in (difficulty, ALL):
                top = {pair: map_entry({"n": PAIR_LEARNERS, "seq": 1, "o": o, "c": c, "cat": cat,
                                        "learners": elements}) for pair, (o, c, cat) in ours.items()}
                for k in range(TOP_K - len(top)):
                    o, c = f"Hôm qua tôi đi chợ {k}", f"Hôm qua tôi đã đi chợ {k}"
                    top[pair_id(o, c, "grammar")] = map_entry({"n": 2 * PAIR_LEARNERS, "seq": 1, "o": o, "c": c,
                                                               "cat": "grammar", "learners": elements})
                store.put_cell_top(cell_key(day, row_topic, part, shard), top, None)


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


def analyse(sim: Sim, sessions: int) -> list[Row]:
    units: dict = defaultdict(Counter)
    learners: dict = defaultdict(set)
    seconds: dict = defaultdict(Counter)
    for w in sim.writes:
        units[w.target][w.partition] += w.units
        learners[(w.target, w.partition)].add(w.learner)
        seconds[(w.target, w.partition)][(w.learner, w.second)] += w.units
    rows = []
    for spec in sim.specs:
        for target, pk in [(spec.logical_name, spec.partition_key.name)] + [
                (f"{spec.logical_name}/{i.name}", i.partition_key.name) for i in spec.indexes]:
            by_value = units.get(target, Counter())
            by_learner = SHARED.get(target, Shared("")).by_learner
            shared = [u for v, u in by_value.items() if len(learners[(target, v)]) > 1 or by_learner]
            hashed = SHARED.get(target, Shared("")).hashed
            if hashed:                 # each sharded key's shards: their mean; the hottest key is the figure
                stems: dict = defaultdict(list)         # a shard one learner of the sample wrote counts too
                writers: dict = defaultdict(set)
                for v, u in by_value.items():
                    stems[shard_stem(v)].append(u)
                    writers[shard_stem(v)] |= learners[(target, v)]
                stems = {stem: units_ for stem, units_ in stems.items() if len(writers[stem]) > 1 or by_learner}
                spread = {stem: max(len(units_), shard_count(SHARED[target], stem)) for stem, units_ in stems.items()}
                hottest = max(stems, key=lambda stem: sum(stems[stem]) / spread[stem], default=None)
                shared = stems[hottest] + [0] * (spread[hottest] - len(stems[hottest])) if hottest else []
            mean = sum(shared) / len(shared) if shared else 0
            skew = max(shared) / mean if shared else 1.0
            per_value = (max(shared) if skew > SKEW_NOISE and not hashed else mean) if shared else 0
            own = max((max(seconds[(target, v)].values()) for v, u in by_value.items()
                       if len(learners[(target, v)]) == 1), default=0)
            peak = max(per_value / sessions * SESSION_RATE, own)
            rows.append(Row(target, pk, bool(shared), len(shared) or len(by_value), round(skew, 2), round(peak, 1)))
    return rows


def collisions(sim: Sim) -> list[str]:
    """Items of different sessions that were created under the same primary key (an overwrite),
    and the requests DynamoDB refused (keys that do not fit the code)."""
    return sim.refused + [f"{table}: {len(who)} sessions created items under the key {key}"
                          for (table, key), who in sim.creators.items() if len(who) > 1]


def violations(rows: list[Row], clashes: list[str]) -> list[str]:
    """What the partition test refuses: empty when every key spreads its writes well enough."""
    found = list(clashes)
    budget = TARGET * LIMIT_WCU
    for r in rows:
        if r.values == 0:
            found.append(f"{r.target}: the model writes nothing there; model its writes (bench/partition_model.py)")
        elif r.shared and r.target not in SHARED:
            found.append(f"{r.target}: many learners write the same `{r.key}` values ({r.values}); shard the key "
                         f"or declare it in SHARED with its reason")
        elif r.peak > budget:
            found.append(f"{r.target}: {r.peak} WCU/s on one partition at the peak (limit {LIMIT_WCU}, target "
                         f"{budget:.0f})")
    return found


@lru_cache(maxsize=1)
def model() -> tuple[list[Row], list[str]]:
    sim, sessions = run_sample()
    return analyse(sim, sessions), collisions(sim)


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
    lines += ["", "Shared partition keys (declared in `bench/partition_model.py` `SHARED`):", ""]
    for r in rows:
        if r.target in SHARED:
            shared = SHARED[r.target]
            # A hash of random session ids: the sample's skew changes from run to run; not shown.
            spread = (f"{r.values} values, the mean taken (a hash of session ids)" if shared.hashed
                      else f"Hottest of {r.values} value(s) / mean: {r.skew:.2f}")
            lines.append(f"- `{r.target}` — {shared.why}. {spread}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    rows, clashes = model()
    text = markdown(rows)
    sys.stdout.write(text)
    problems = violations(rows, clashes)
    if "--markdown" not in argv:
        print("\n".join(["", "violations:"] + problems) if problems else "\nno violations")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
