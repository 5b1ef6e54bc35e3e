"""Request bodies of the learning area (unknown fields are refused, naming the field)."""
from __future__ import annotations

from pydantic import Field

from speakpho.models import MAX_CORRECTIONS, MAX_TEXT, Category, StrictModel

MAX_PAGE = 100_000


class CorrectionReview(StrictModel):
    """PATCH /api/learning/corrections/{id}. A confidenceLevel is an FSRS review; disputed
    flags the correction as wrong (out of the review queue) or, false, unflags it; leech: false
    resumes a leech; explanation rephrases it."""
    reviewed: bool | None = Field(default=None, strict=True)
    confidenceLevel: int | None = Field(default=None, ge=0, le=5, strict=True)
    disputed: bool | None = Field(default=None, strict=True)
    # learning/leeches.py: false resumes a leech (back in the queue, lapses from 0), true suspends it.
    leech: bool | None = Field(default=None, strict=True)
    # A rephrased explanation (the learner's own words for a correction they keep forgetting).
    explanation: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)


class ImportedCorrection(StrictModel):
    original: str = Field(min_length=1, max_length=MAX_TEXT)
    correction: str = Field(min_length=1, max_length=MAX_TEXT)
    explanation: str | None = Field(default=None, max_length=MAX_TEXT)
    category: Category | None = None
    createdAt: int | None = Field(default=None, ge=0, le=10**14)  # epoch ms


class CorrectionsImport(StrictModel):
    corrections: list[ImportedCorrection] = Field(min_length=1, max_length=MAX_CORRECTIONS)


class MemorySettings(StrictModel):
    """PUT /api/learning/memory: the retention the learner's reviews aim at (learning/memory.py)."""
    desiredRetention: float = Field(ge=0.80, le=0.95)
