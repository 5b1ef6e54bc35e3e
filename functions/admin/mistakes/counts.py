"""What one correction image counts in the common-mistakes rollups. Pure functions.

A correction counts once, on the UTC day it was created, in four *cells*: its session's
(topic, difficulty), (topic, every difficulty), (every topic, difficulty) and (every topic,
every difficulty), so any filter of the route reads one cell per day. In each it adds 1 to
`cat_<category>` and 1 to its pair's exact counter. A lapse (a review rated Again) counts on
the UTC day of the review, in `lapse_<category>` of the same four cells.

Bounded key parts: the category is one of speakpho.enums.CATEGORIES or "other"; the
difficulty one of the start's three or "unknown"; the topic (free text at the start) is
normalised (NFC, case-folded, spaces collapsed, at most 64 characters, "#" and "*" replaced),
"unknown" for a correction without a session (an import).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone

from speakpho.enums import CATEGORIES
from speakpho.tables import is_correction_id

ALL = "*"                      # the cell of every topic or every difficulty
UNKNOWN, OTHER = "unknown", "other"
DIFFICULTIES = ("beginner", "intermediate", "advanced")
TOPIC_MAX = 64
AGAIN = 1                      # fsrs.Rating.Again, as the reviewLog keeps it ([reviewedAtMs, rating])
CATEGORY_PREFIX, LAPSE_PREFIX = "cat_", "lapse_"
_SPACES = re.compile(r"\s+")


def topic_part(topic) -> str:
    if not isinstance(topic, str) or not topic.strip():
        return UNKNOWN
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", topic).casefold().strip())[:TOPIC_MAX]
    return text.replace("#", "_").replace(ALL, "_")


def difficulty_part(difficulty) -> str:
    return difficulty if difficulty in DIFFICULTIES else UNKNOWN


def category_part(category) -> str:
    return category if category in CATEGORIES else OTHER


def normalised(text: str) -> str:
    """A pair's text as compared: NFC, case-folded, spacing collapsed; diacritics kept (they are
    meaning in Vietnamese: "xin chao" is not "xin chào")."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text).casefold().strip())


def pair_id(original: str, correction: str, category: str) -> str:
    joined = "\x1f".join((normalised(original), normalised(correction), category))
    return hashlib.sha256(joined.encode()).hexdigest()[:24]


def utc_day(ms) -> str:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).strftime("%Y-%m-%d")


def cell_parts(topic: str, difficulty: str) -> tuple[tuple[str, str], ...]:
    return ((topic, difficulty), (topic, ALL), (ALL, difficulty), (ALL, ALL))


def cell_key(day: str, topic: str, difficulty: str, shard: int = 0) -> tuple:
    """A day cell as the domain names it: (day, topic, difficulty) in write shard 0 (the rows
    written before sharding), (day, topic, difficulty, shard) in shard n > 0
    (Settings.mistakes_shards, speakpho.mistake_keys)."""
    return (day, topic, difficulty, shard) if shard else (day, topic, difficulty)


def cell_shard(cell: tuple) -> int:
    return int(cell[3]) if len(cell) > 3 else 0


def pair_row(cell: tuple) -> tuple:
    """The row holding a pair's counter in a day cell (day, topic, difficulty[, shard]): one row
    per (day, topic, shard) and pair, with a counter and a sketch per difficulty, so a
    correction's four cells take two pair rows ((topic, d) and (topic, *); (*, d) and (*, *)).
    A cell's top map copies from the pair rows of its own shard."""
    return (cell[0], cell[1], *cell[3:])


def lapse_count(image: dict) -> int:
    """The correction's lapses: its `lapses` counter when it has one, else the Again ratings of
    its reviewLog (which keeps its first 100 reviews)."""
    if image.get("lapses") is not None:
        return int(image["lapses"])
    return sum(1 for entry in image.get("reviewLog") or () if len(entry) > 1 and int(entry[1]) == AGAIN)


def last_review_day(image: dict) -> str:
    times = [int(entry[0]) for entry in image.get("reviewLog") or () if entry]
    return utc_day(max(times) if times else image["createdAt"])


@dataclass(frozen=True)
class Counted:
    """What a correction image counts: its creation (day, cells, pair) and its lapses so far."""
    day: str
    topic: str
    difficulty: str
    category: str
    pair: str
    original: str
    correction: str
    lapses: int
    shard: int = 0          # the write shard of its batch (admin.mistakes.batch.batch_shard)

    def cells(self) -> tuple[tuple[str, str], ...]:
        return cell_parts(self.topic, self.difficulty)

    def cell_keys(self, day: str | None = None) -> tuple[tuple, ...]:
        """Its four day cells (on its creation day, or `day`), in its shard."""
        return tuple(cell_key(day or self.day, topic, difficulty, self.shard) for topic, difficulty in self.cells())


def counted(image: dict | None, session: dict | None) -> Counted | None:
    """What `image` counts under `session`'s topic and difficulty, in the write shard
    `session["shard"]` (0 when absent). None for an image that counts nowhere (a removal, the learner's #stats or #memory row, a
    correction imported from the old practice page: the common mistakes are those the coach made
    in sessions, with their topic and difficulty; an import of thousands would otherwise cost
    the stream a few dozen requests each)."""
    if not image or not is_correction_id(str(image.get("correctionId", ""))) or not image.get("sessionId"):
        return None
    if not image.get("original") or not image.get("correction") or image.get("createdAt") is None:
        return None
    category = category_part(image.get("category"))
    session = session or {}
    return Counted(day=utc_day(image["createdAt"]), topic=topic_part(session.get("topic")),
                   difficulty=difficulty_part(session.get("difficulty")), category=category,
                   pair=pair_id(image["original"], image["correction"], category),
                   original=str(image["original"]), correction=str(image["correction"]),
                   lapses=lapse_count(image), shard=int(session.get("shard") or 0))
