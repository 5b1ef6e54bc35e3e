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

import sys
import uuid
from collections import Counter, defaultdict
from functools import lru_cache

from bench.partition_sim import Sim, sample_tables
from bench.partition_shared import (CATEGORIES, CONCURRENT, CORRECTIONS, DISCONNECT_EVERY, LEARNERS,  # noqa: F401
                                     LIMIT_RCU, LIMIT_WCU, MESSAGES, PAIR_LEARNERS, SAMPLE_LEARNERS,
                                     SESSION_RATE, SESSION_SECONDS, SHARED, SKEW_NOISE, SWITCH_EVERY, T0_MS,
                                     TARGET, Row, Shared, heartbeat_seconds, markdown, shard_count, shard_stem,
                                     status)


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
    from speakpho.models import EndSessionRequest, SessionEventsRequest, StartSessionRequest
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

        def report(user: metering.UserRef, events: list[tuple[str, str, dict]], number: int, call: int) -> None:
            """One events call of the client (eventIds fixed per learner, session and call)."""
            now = clock.now_ms()
            metering.record_events(store, settings, clock, user, SessionEventsRequest(
                sessionId=sim.session, sentAt=now, events=[
                    {"eventId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{user.user_id}/{number}/{call}/{i}")),
                     "type": kind, "at": now, "provider": provider, **fields}
                    for i, (kind, provider, fields) in enumerate(events)]))

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
            # The client reports its connection (an events call: its batch, speakpho.metering.events).
            report(user, [("provider_connected", provider, {"connectMs": 400})], number, 0)
            at(base)
            interval = heartbeat_seconds()
            for beat in range(1, SESSION_SECONDS // interval + 1):
                at(base + beat * interval)
                metering.heartbeat(store, settings, clock, user, sim.session, ports)
                if beat == 5 and number % SWITCH_EVERY == 1:
                    report(user, [("provider_disconnected", provider, {"code": 1006}),
                                  ("reconnect_attempt", provider, {})], number, 1)
                    provider = "openai" if provider == "gemini" else "gemini"
                    metering.switch_provider(store, settings, clock, user, sim.session, provider, 1006, None, ports)
                    report(user, [("provider_connected", provider, {"connectMs": 600})], number, 2)
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
def sample() -> tuple[Sim, int]:
    return run_sample()


def model() -> tuple[list[Row], list[str]]:
    sim, sessions = sample()
    return analyse(sim, sessions), collisions(sim)


def units_per_session(sim: Sim, sessions: int) -> dict[str, float]:
    """The sample's write units per session, by table (its indexes included), and "total": what
    make load measures per session (docs/scale.md, "Per-session units")."""
    by_table: Counter = Counter()
    for w in sim.writes:
        by_table[w.target.split("/")[0]] += w.units
    per = {table: round(units / sessions, 1) for table, units in sorted(by_table.items())}
    per["total"] = round(sum(by_table.values()) / sessions, 1)
    return per


def main(argv: list[str]) -> int:
    rows, clashes = model()
    text = markdown(rows)
    sys.stdout.write(text)
    problems = violations(rows, clashes)
    if "--markdown" not in argv:
        print("\n".join(["", "violations:"] + problems) if problems else "\nno violations")
        print(f"write units per session: {units_per_session(*sample())}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
