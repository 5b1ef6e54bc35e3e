"""What the coach is told, from the session's topic, difficulty and mode, and its one tool.

`record_correction` is declared for function calling so that a correction reaches us as
data (the fields of CorrectionIn: original, correction, explanation, category), not as prose
to be parsed out of the transcript.
"""
from __future__ import annotations

from dataclasses import dataclass

from speakpho.enums import CATEGORIES

LEVELS = {
    "beginner": "Use short, simple sentences and everyday words; speak slowly.",
    "intermediate": "Use natural everyday Vietnamese; introduce a new word now and then.",
    "advanced": "Speak naturally and quickly; use idioms and ask for longer answers.",
}
MODES = {
    "coach": ("When the learner makes a mistake, call record_correction once for it (the learner's words, "
              "the corrected words, a short explanation in English and its category), then carry on "
              "speaking Vietnamese."),
    "free": "Do not correct the learner; just keep the conversation going.",
}
BASE = ("You are a friendly Vietnamese conversation coach. Speak Vietnamese (Northern accent) and keep each "
        "turn short so the learner speaks most. If the conversation was handed over from another connection, "
        "continue it without greeting again.")

RECORD_CORRECTION = {
    "name": "record_correction",
    "description": "Record one correction of the learner's Vietnamese so that it can be reviewed later.",
    "parameters": {
        "type": "object",
        "properties": {
            "original": {"type": "string", "description": "what the learner said"},
            "correction": {"type": "string", "description": "the corrected Vietnamese"},
            "explanation": {"type": "string", "description": "why, in one short English sentence"},
            "category": {"type": "string", "enum": list(CATEGORIES),
                         "description": "tone means the diacritics (thanh điệu)"},
        },
        "required": ["original", "correction", "category"],
    },
}


@dataclass(frozen=True)
class CoachProfile:
    topic: str
    difficulty: str
    mode: str
    instructions: str

    @property
    def corrects(self) -> bool:
        return self.mode == "coach"


def coach_profile(topic: str, difficulty: str, mode: str) -> CoachProfile:
    """The coach for a session. The topic is the learner's own text: it is quoted as data."""
    instructions = "\n".join([BASE, f"Topic of the conversation (chosen by the learner): {topic!r}.",
                              LEVELS.get(difficulty, LEVELS["intermediate"]), MODES.get(mode, MODES["coach"])])
    return CoachProfile(topic=topic, difficulty=difficulty, mode=mode, instructions=instructions)
