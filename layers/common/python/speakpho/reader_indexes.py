"""The index each reader of the sessions table queries: one name per reader, here only.

Readers look the name up when they query (`reader_indexes.SESSIONS_BY_DAY`, never a copy taken
at import), so pointing a reader at another index is one change here. Each reader works on an
index with the same keys whatever it projects: the admin readers take the keys a Query returns
and read the items with BatchGetItem, the history readers use only the attributes of
tables.HISTORY_VIEW_ATTRIBUTES. So during a migration that replaces an index (its predecessor
in tables.SESSIONS.retired), a reader can be kept on the old one until the new one is built,
and switched by naming the new one here.
"""
from __future__ import annotations

from speakpho.table_env import index_to_query

# Admin lists by day (KEYS_ONLY: the page's items by BatchGetItem; admin/health_store.py).
SESSIONS_BY_DAY = "sessions_by_day_keys"
# Admin list and stats of one user (KEYS_ONLY, likewise; admin/health_store.py).
SESSIONS_BY_USER = "sessions_by_user_keys"
# The learner's history pages and the erasure's slices (INCLUDE: learning/learning_store.py,
# learning/erasure_store.py).
LEARNING_HISTORY = "learning_history_view"

# The stale sweeper's candidates (speakpho/metering_store.py stale_candidates).
ACTIVE_BY_SWEEP = "active_by_sweep"


def queried(index: str) -> str:
    """The index a reader of `index` queries where this code runs: during a migration's expand
    steps the retired one it replaces, while the deployed step says so (READ_RETIRED_INDEXES:
    docs/migrations.md, "The switch"), else `index` itself."""
    return index_to_query(index)
