"""Every DynamoDB table, key and index, defined once.

The CDK stack, the local runner and the tests all build their tables from
TABLES, so a key or an index can only be changed here.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Key:
    name: str
    type: str  # "S" or "N"


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: Key
    sort_key: Key | None = None
    # None projects every attribute; a tuple projects only those (keys always come along;
    # an empty tuple: the keys only).
    projected: tuple[str, ...] | None = None
    # A retired index only: the index of TableSpec.indexes that replaces it (docs/migrations.md).
    replaced_by: str | None = None


@dataclass(frozen=True)
class TableSpec:
    logical_name: str   # also the local table name and the settings field prefix
    env_name: str       # environment variable carrying the deployed table name
    partition_key: Key
    sort_key: Key | None = None
    indexes: tuple[Index, ...] = field(default_factory=tuple)
    stream: bool = False          # NEW_AND_OLD_IMAGES when True
    ttl_attribute: str | None = None
    # Indexes being replaced (docs/migrations.md): still deployed on a stack that holds data until
    # the migration drops them, read only while the step says so (speakpho.table_env.index_to_query);
    # a new table never has them.
    retired: tuple[Index, ...] = field(default_factory=tuple)


# Usage periods: one row per user and UTC month ("2026-11") holding the allowance,
# the seconds charged and the live meter of the user's active session; plus a
# "profile" row (lifetime session counter) and "allowance#..." audit rows.
USAGE_PERIODS = TableSpec(
    logical_name="usage_periods",
    env_name="USAGE_PERIODS_TABLE",
    partition_key=Key("userId", "S"),
    sort_key=Key("period", "S"),
    indexes=(
        # Sparse: only period rows with an active session carry activeShard, so the stale
        # sweeper reads just the active sessions, by sweep bucket. activeSweepAt is a coarse
        # deadline (speakpho.metering.usage) that most heartbeats leave as it is, so most
        # heartbeats do not move the index entry (docs/metering.md).
        Index("active_by_sweep", Key("activeShard", "S"), Key("activeSweepAt", "N"),
              projected=("activeSessionId", "activeStartedAt")),
    ),
    retired=(
        Index("active_by_heartbeat", Key("activeShard", "S"), Key("activeLastHeartbeatAt", "N"),
              projected=("activeSessionId", "activeStartedAt"), replaced_by="active_by_sweep"),
    ),
)

# What the learner's history list shows of a session (learning/history.py history_entry, and
# the erasure's status): projected into learning_history_view so the story never rides along.
HISTORY_VIEW_ATTRIBUTES = ("startedAt", "endedAt", "topic", "difficulty", "mode", "provider", "status",
                           "messageCount", "correctionCount", "secondsUsed", "creditedSeconds")

SESSIONS = TableSpec(
    logical_name="sessions",
    env_name="SESSIONS_TABLE",
    partition_key=Key("sessionId", "S"),
    indexes=(
        # Admin lists and per-user admin stats: sessions of one UTC day (or of one user), by
        # start time. Keys only: a session's writes after its start never touch them; readers
        # read the page's items with one BatchGetItem.
        Index("sessions_by_day_keys", Key("startDay", "S"), Key("startedAt", "N"), projected=()),
        Index("sessions_by_user_keys", Key("userId", "S"), Key("startedAt", "N"), projected=()),
        # Learning history: sparse (erasure removes historyUser), numbered per user so
        # any page is one key-range query; what the list shows, without the story.
        Index("learning_history_view", Key("historyUser", "S"), Key("historySeq", "N"),
              projected=HISTORY_VIEW_ATTRIBUTES),
    ),
    retired=(
        Index("sessions_by_day", Key("startDay", "S"), Key("startedAt", "N"), replaced_by="sessions_by_day_keys"),
        Index("sessions_by_user", Key("userId", "S"), Key("startedAt", "N"), replaced_by="sessions_by_user_keys"),
        Index("learning_history", Key("historyUser", "S"), Key("historySeq", "N"),
              replaced_by="learning_history_view"),
    ),
    stream=True,
)

# A live session's client events, one item per events call (speakpho.metering.events): an events
# call writes only what its new events weigh, not the whole session item with its story. The
# close of the session (end, sweeper, newer start) folds them into the session's story, where
# every later reader finds them; `expiresAt` (epoch seconds, TTL) removes the batches days
# after, free of write units (speakpho.metering.events.batch_expires_at).
SESSION_EVENTS = TableSpec(
    logical_name="session_events",
    env_name="SESSION_EVENTS_TABLE",
    partition_key=Key("sessionId", "S"),
    sort_key=Key("batchId", "S"),
    ttl_attribute="expiresAt",
)

# A transcript expires TRANSCRIPT_RETENTION_DAYS after its end stored it: `expiresAt`, epoch
# seconds, written by the end (speakpho.metering.end.transcript_expires_at), is the TTL.
SESSION_MESSAGES = TableSpec(
    logical_name="session_messages",
    env_name="SESSION_MESSAGES_TABLE",
    partition_key=Key("sessionId", "S"),
    sort_key=Key("seq", "N"),
    ttl_attribute="expiresAt",
)

# Corrections belong to a user (partition) so an id from someone else is simply not found.
# The "#stats" row of each user keeps the counters shown with lists.
CORRECTIONS = TableSpec(
    logical_name="corrections",
    env_name="CORRECTIONS_TABLE",
    partition_key=Key("userId", "S"),
    sort_key=Key("correctionId", "S"),
    indexes=(
        Index("corrections_by_session", Key("sessionId", "S"), Key("correctionIndex", "N")),
        Index("corrections_by_created", Key("userId", "S"), Key("createdAt", "N")),
        Index("corrections_by_category", Key("listCategory", "S"), Key("createdAt", "N")),
        Index("corrections_by_reviewed", Key("listReviewed", "S"), Key("createdAt", "N")),
        Index("corrections_by_category_reviewed", Key("listCategoryReviewed", "S"), Key("createdAt", "N")),
        # Review queue: never-reviewed cards are due from creation, reviewed ones at nextReviewAt.
        Index("corrections_due", Key("userId", "S"), Key("dueAt", "N")),
        # Sparse: only the "#memory" rows of learners whose FSRS parameters are due for
        # optimisation carry optimiseDue (learning/memory.py), oldest request first.
        Index("memory_optimise_due", Key("optimiseDue", "S"), Key("optimiseRequestedAt", "N"), projected=()),
    ),
    # Feeds the admins' common-mistakes rollups (functions/admin/mistakes_stream.py).
    stream=True,
)

# Per-day health rollups fed by the sessions stream; partition = month, sort = day#cell.
SESSION_ROLLUPS = TableSpec(
    logical_name="session_rollups",
    env_name="SESSION_ROLLUPS_TABLE",
    partition_key=Key("pk", "S"),
    sort_key=Key("sk", "S"),
)

# Idempotency-Key records: one per keyed call that took effect, written by the call's own
# transaction (speakpho.idempotency); `expiration` is epoch seconds (TTL).
IDEMPOTENCY = TableSpec(
    logical_name="idempotency",
    env_name="IDEMPOTENCY_TABLE",
    partition_key=Key("id", "S"),
    ttl_attribute="expiration",
)

# One free allowance per mailbox: the learner pool's sign-up trigger claims the sha256 of the
# normalised mailbox (functions/signup); a pending claim's `expiresAt` is epoch seconds (TTL),
# a confirmed claim has none.
MAILBOX_CLAIMS = TableSpec(
    logical_name="mailbox_claims",
    env_name="MAILBOX_CLAIMS_TABLE",
    partition_key=Key("mailbox", "S"),
    ttl_attribute="expiresAt",
)

TABLES: tuple[TableSpec, ...] = (
    USAGE_PERIODS, SESSIONS, SESSION_EVENTS, SESSION_MESSAGES, CORRECTIONS, SESSION_ROLLUPS, IDEMPOTENCY,
    MAILBOX_CLAIMS,
)


# --------------------------------------------------------------------------- key builders
# The keys of the rows that are not plain entities, defined here and nowhere else.

# usage_periods: the per-user rows next to the monthly period rows.
PROFILE_SK = "profile"                 # lifetime session counter, history numbering
ALLOWANCE_SK_PREFIX = "allowance#"     # allowance#<period>#<ms>#<rand>: audit of allowance changes
# The sparse active-session index and the rollup month are write-sharded (docs/scale.md): the
# number of shards is a setting (Settings.active_shards, Settings.rollup_shards) handed to the
# key builders below; this module reads no settings. Shard 0 carries no suffix, so the rows
# written before sharding are shard 0 and need no migration.


def period_key(user_id: str, period: str) -> dict:
    return {"userId": user_id, "period": period}


def profile_key(user_id: str) -> dict:
    return {"userId": user_id, "period": PROFILE_SK}


def allowance_sk(period: str, changed_at: int, suffix: str) -> str:
    return f"{ALLOWANCE_SK_PREFIX}{period}#{changed_at:015d}#{suffix}"


def allowance_sk_prefix(period: str) -> str:
    return f"{ALLOWANCE_SK_PREFIX}{period}#"


# usage_periods: one row per erasure job of the learner (learning/erasure.py): its status
# and progress, read by GET /api/learning/erasure/{id} under the caller's own partition.
ERASURE_SK_PREFIX = "erasure#"


def erasure_key(user_id: str, erasure_id: str) -> dict:
    return {"userId": user_id, "period": f"{ERASURE_SK_PREFIX}{erasure_id}"}


def active_shard_value(shard: int) -> str:
    return f"active#{shard}"


def shard_of(value: str, shards: int) -> int:
    """The shard of a user or session id among `shards`: crc32, stable across processes."""
    import zlib

    return zlib.crc32(value.encode()) % max(1, shards)


def active_shard(user_id: str, shards: int) -> str:
    return active_shard_value(shard_of(user_id, shards))


# corrections: the per-user counters row shares the learner's partition.
STATS_SK = "#stats"


def stats_key(user_id: str) -> dict:
    return {"userId": user_id, "correctionId": STATS_SK}


# corrections: the learner's FSRS memory row (review count, own parameters, desired retention).
MEMORY_SK = "#memory"
OPTIMISE_DUE = "due"   # the one partition of the sparse memory_optimise_due index


def memory_key(user_id: str) -> dict:
    return {"userId": user_id, "correctionId": MEMORY_SK}


# The learner's own rows in the corrections partition (#stats, #memory) start with "#"; a
# correction's id never does.
LEARNER_ROW_PREFIX = "#"


def is_correction_id(correction_id: str) -> bool:
    return not correction_id.startswith(LEARNER_ROW_PREFIX)


# idempotency: "<scope>#<part>#...#<key>", each part escaped so that no two calls share an id.
def idempotency_record_id(scope: tuple[str, ...], key: str) -> str:
    """("start", userId) + key -> "start#<userId>#<key>"; '%' and '#' inside a part are escaped."""
    return "#".join(part.replace("%", "%25").replace("#", "%23") for part in (*scope, key))


# session_rollups: a month partition of per-day cells, and one ledger row per session.
ROLLUP_MONTH_PREFIX = "month#"
ROLLUP_LEDGER_PREFIX = "ledger#"
ROLLUP_LEDGER_SK = "ledger"


def rollup_month_pk(month: str, shard: int = 0) -> str:
    """One shard of a UTC month's cells: "2026-11" -> "month#2026-11" (shard 0), "month#2026-11#3"."""
    return f"{ROLLUP_MONTH_PREFIX}{month}" + (f"#{shard}" if shard else "")


def rollup_month_pks(month: str, shards: int) -> list[str]:
    """Every shard of a month's cells: what a reader queries and adds up."""
    return [rollup_month_pk(month, shard) for shard in range(max(1, shards))]


def rollup_cell_pk(day: str, session_id: str = "", shards: int = 1) -> str:
    """The partition a session's cell of a UTC day goes to ("2026-11-20" -> "month#2026-11#n",
    n from the session id among `shards`; one shard: "month#2026-11")."""
    return rollup_month_pk(day[:7], shard_of(session_id, shards) if shards > 1 else 0)


def rollup_ledger_key(session_id: str) -> dict:
    return {"pk": f"{ROLLUP_LEDGER_PREFIX}{session_id}", "sk": ROLLUP_LEDGER_SK}
