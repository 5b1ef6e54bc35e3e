"""The bounded values every area shares, without pydantic (the stream processor reads them
at init). speakpho.models builds its request types from the same values."""
from __future__ import annotations

PROVIDERS: tuple[str, ...] = ("gemini", "openai")
MODES: tuple[str, ...] = ("free", "coach")
SESSION_STATUSES: tuple[str, ...] = ("active", "ended")
# Correction categories ("tone" means the diacritics, thanh điệu).
CATEGORIES: tuple[str, ...] = ("grammar", "tone", "vocabulary", "word_order", "pronunciation")
