"""Does a learner's line say a correction's phrase? Pure text rules, no I/O.

Both sides are normalised the same way (`normalise`):

* Unicode NFC, so a precomposed "à" and "a" + combining grave are one letter;
* case-folded ("Xin Chào" is "xin chào");
* punctuation and spacing ignored: every run of characters that are neither letters, digits
  nor combining marks becomes one word break;
* Vietnamese diacritics are meaning and are kept: "xin chao" is not "xin chào".

A phrase is said in a line when its whole normalised word sequence appears in the line's,
on word boundaries: "ăn phở" is in "tôi muốn ăn phở", "ăn" is not in "ăng".

A line's outcome for a correction (`outcome`): the corrected form said is "used_correctly"
(it wins within a line, as a correction may contain its original: "ăn phở" -> "tôi ăn phở");
else the original said is "repeated_mistake"; else None. A correction whose two sides
normalise alike (a punctuation or case fix) cannot be told apart in speech: never matched.
"""
from __future__ import annotations

import unicodedata

USED_CORRECTLY = "used_correctly"
REPEATED_MISTAKE = "repeated_mistake"


def _is_word_char(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in ("L", "N") or category[0] == "M"   # letters, digits, combining marks (tones)


def words(text: str) -> tuple[str, ...]:
    """The normalised words of a text."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text or "").casefold())
    cleaned = "".join(ch if _is_word_char(ch) else " " for ch in folded)
    return tuple(cleaned.split())


def normalise(text: str) -> str:
    return " ".join(words(text))


def contains(line: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether `phrase` (normalised words) appears in `line` as a whole run of words."""
    size = len(phrase)
    if not size or size > len(line):
        return False
    return any(line[i:i + size] == phrase for i in range(len(line) - size + 1))


def outcome(line: tuple[str, ...], original: tuple[str, ...], corrected: tuple[str, ...]) -> str | None:
    if not corrected or original == corrected:
        return None
    if contains(line, corrected):
        return USED_CORRECTLY
    if contains(line, original):
        return REPEATED_MISTAKE
    return None
