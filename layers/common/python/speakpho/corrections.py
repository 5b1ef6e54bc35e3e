"""How a correction is stored: its id, its index keys and the user's counters.

Used by the session end (which creates corrections), the learning area (which reviews,
imports and erases them) and the tests, so the GSI key attributes are built in one place.
"""
from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("6f1d3a52-3c1e-4d1c-9a51-0b7c6f0e2a11")
IMPORTED = "import"             # the `source` of a correction imported from localStorage
IMPORTED_COUNTER = "imported"   # the counter (in the learner's #stats row) of the imported ones held


def session_correction_id(session_id: str, index: int) -> str:
    """Deterministic, so a repeated session end rewrites the same items instead of adding."""
    return str(uuid.uuid5(_NAMESPACE, f"session:{session_id}:{index}"))


def imported_correction_id(user_id: str, original: str, correction: str, created_at: int | None) -> str:
    """Deterministic, so importing the same localStorage list twice adds nothing."""
    return str(uuid.uuid5(_NAMESPACE, f"import:{user_id}:{original}\x1f{correction}\x1f{created_at}"))


def unique_corrections(corrections: list) -> list:
    """The corrections of one session with repeats dropped: the same (original, correction) pair
    twice in a session is one correction (the first kept, in order)."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for c in corrections:
        pair = (c.original, c.correction)
        if pair not in seen:
            seen.add(pair)
            unique.append(c)
    return unique


def index_keys(user_id: str, category: str | None, reviewed: bool) -> dict:
    flag = "true" if reviewed else "false"
    keys = {"listReviewed": f"{user_id}#{flag}"}
    if category:
        keys["listCategory"] = f"{user_id}#{category}"
        keys["listCategoryReviewed"] = f"{user_id}#{category}#{flag}"
    return keys


def new_correction_item(*, user_id: str, correction_id: str, session_id: str | None, index: int | None,
                        original: str, correction: str, explanation: str | None, category: str | None,
                        created_at: int) -> dict:
    item = {
        "userId": user_id,
        "correctionId": correction_id,
        "sessionId": session_id,
        "correctionIndex": index,
        "original": original,
        "correction": correction,
        "explanation": explanation,
        "category": category,
        "reviewed": False,
        "confidenceLevel": 0,
        "createdAt": created_at,
        "dueAt": created_at,  # never reviewed: due from the moment it exists
        "version": 1,
    }
    item.update(index_keys(user_id, category, False))
    return item


def stats_increment(corrections: list[dict]) -> tuple[str, dict, dict]:
    """An UpdateExpression adding these new corrections to the user's counters."""
    counts: dict[str, int] = {"total": len(corrections)}
    for c in corrections:
        if c.get("category"):
            key = f"cat_{c['category']}"
            counts[key] = counts.get(key, 0) + 1
        if c.get("source") == IMPORTED:
            counts[IMPORTED_COUNTER] = counts.get(IMPORTED_COUNTER, 0) + 1
    names = {f"#c{i}": k for i, k in enumerate(counts)}
    vals = {f":c{i}": v for i, v in enumerate(counts.values())}
    expr = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts)))
    return expr, names, vals


def stats_counts(corrections: list[dict]) -> dict[str, int]:
    """What these corrections count for in the user's counters (total, reviewed, cat_<category>,
    imported), zero counts left out: taken off the counters when the corrections are deleted."""
    counts: dict[str, int] = {"total": len(corrections),
                              "reviewed": sum(1 for c in corrections if c.get("reviewed")),
                              IMPORTED_COUNTER: sum(1 for c in corrections if c.get("source") == IMPORTED)}
    for c in corrections:
        if c.get("category"):
            key = f"cat_{c['category']}"
            counts[key] = counts.get(key, 0) + 1
    return {k: v for k, v in counts.items() if v}


# Which GSI answers a corrections list, by (reviewed filter given, category filter given).
CORRECTION_LISTS = {
    (False, False): ("corrections_by_created", "userId"),
    (True, False): ("corrections_by_reviewed", "listReviewed"),
    (False, True): ("corrections_by_category", "listCategory"),
    (True, True): ("corrections_by_category_reviewed", "listCategoryReviewed"),
}


def list_key_attributes(partition_attribute: str) -> tuple[str, ...]:
    """The attributes of a LastEvaluatedKey on a corrections list index."""
    return tuple(dict.fromkeys(("userId", "correctionId", partition_attribute, "createdAt")))
