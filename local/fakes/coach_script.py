"""The scripted coach the fakes speak with: the same lines as the browser's rehearsal coach,
read from the one script both use (web/js/coach-script.json).

A reply depends on the learner's line (in coach mode, the first mistake pattern it matches
gives a correction in the shape of record_correction's arguments) and on the turn (replies
cycle per difficulty), as in web/js/rehearsal-coach.js.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

SCRIPT_PATH = Path(__file__).resolve().parents[2] / "web" / "js" / "coach-script.json"
# The script's patterns are JavaScript regular expressions; these are the flags they may use.
JS_FLAGS = {"i": re.IGNORECASE, "u": 0}
CORRECTION_FIELDS = ("original", "correction", "explanation", "category")
DEFAULT_DIFFICULTY = "intermediate"


def js_pattern(source: str, flags: str) -> re.Pattern:
    unknown = set(flags) - set(JS_FLAGS)
    if unknown:
        raise ValueError(f"coach script: unsupported regular expression flags {sorted(unknown)}")
    value = 0
    for flag in flags:
        value |= JS_FLAGS[flag]
    return re.compile(source, value)


@lru_cache(maxsize=1)
def load_script() -> dict:
    script = json.loads(SCRIPT_PATH.read_text(encoding="utf-8"))
    script["compiled"] = [(js_pattern(m["pattern"]["source"], m["pattern"].get("flags", "")),
                           {field: m[field] for field in CORRECTION_FIELDS}) for m in script["mistakes"]]
    return script


def fill(template: str, **values: str) -> str:
    """A script line with its {placeholders} filled (as rehearsal-coach.js fills them)."""
    return re.sub(r"\{(\w+)\}", lambda match: values.get(match.group(1), ""), template)


class CoachScript:
    def __init__(self, mode: str, difficulty: str, topic: str = "general"):
        self.script = load_script()
        self.corrects = mode == "coach"
        self.difficulty = difficulty if difficulty in self.script["replies"] else DEFAULT_DIFFICULTY
        self.topic = topic
        self.turn = 0

    def greeting(self) -> str:
        return fill(self.script["greetings"][self.difficulty], topic=self.topic)

    def mistake(self, learner_text: str) -> dict | None:
        """The correction for the first mistake the line makes (coach mode only)."""
        if not self.corrects:
            return None
        return next((dict(fix) for pattern, fix in self.script["compiled"] if pattern.search(learner_text)), None)

    def reply(self, learner_text: str) -> tuple[str, dict | None]:
        """The coach's answer to the learner's line, and the correction it records (or None)."""
        replies = self.script["replies"][self.difficulty]
        answer = replies[self.turn % len(replies)]
        self.turn += 1
        correction = self.mistake(learner_text)
        if correction:
            answer = fill(self.script["correctionReply"], correction=correction["correction"], reply=answer)
        return answer, correction
