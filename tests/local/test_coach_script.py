"""The scripted coach of the local fakes (local/fakes/coach_script.py) reads the one script the
browser's rehearsal coach reads (web/js/coach-script.json) and answers as that coach does."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from local.fakes.coach_script import SCRIPT_PATH, CoachScript, js_pattern, load_script
from speakpho.enums import CATEGORIES

REHEARSAL_COACH = SCRIPT_PATH.parent / "rehearsal-coach.js"
PHO = {"original": "Tôi muốn ăn phở", "correction": "Em muốn ăn phở",
       "explanation": "Use 'em' when speaking to someone older", "category": "vocabulary"}


@pytest.mark.parametrize("mode, difficulty, line, reply, correction", [
    ("coach", "beginner", "Xin chao, tôi muốn ăn phở",
     "Mình sửa một chút: “Em muốn ăn phở”. Tốt lắm! Bạn nói lại được không?", PHO),
    ("coach", "intermediate", "XIN CHAO bạn", "Mình sửa một chút: “xin chào”. Hay quá! Bạn kể thêm đi.",
     {"original": "xin chao", "correction": "xin chào", "explanation": "Chào has a falling tone (dấu huyền)",
      "category": "tone"}),
    ("coach", "advanced", "Tôi đi chợ hôm qua", "Mình sửa một chút: “Hôm qua tôi đi chợ”. "
     "Thú vị đấy. Bạn có thể giải thích kỹ hơn không?",
     {"original": "Tôi đi chợ hôm qua", "correction": "Hôm qua tôi đi chợ", "explanation": "Time words come first",
      "category": "word_order"}),
    ("coach", "intermediate", "xin chaos", "Hay quá! Bạn kể thêm đi.", None),        # \b: not a word of its own
    ("coach", "beginner", "Xin chào, tôi khỏe", "Tốt lắm! Bạn nói lại được không?", None),
    ("free", "beginner", "Xin chao, tôi muốn ăn phở", "Tốt lắm! Bạn nói lại được không?", None),
    ("coach", "expert", "Cảm ơn", "Hay quá! Bạn kể thêm đi.", None),                 # unknown level: intermediate
])
def test_first_reply(mode, difficulty, line, reply, correction):
    assert CoachScript(mode, difficulty).reply(line) == (reply, correction)


def test_replies_cycle_per_turn():
    coach = CoachScript("free", "beginner")
    answers = [coach.reply("Vâng")[0] for _ in range(4)]
    assert answers == ["Tốt lắm! Bạn nói lại được không?", "Bạn thích món gì?", "Rất tốt. Còn gì nữa không?",
                       "Tốt lắm! Bạn nói lại được không?"]


@pytest.mark.parametrize("difficulty, topic, greeting", [
    ("intermediate", "food", "Chào bạn! Hôm nay mình nói về “food” nhé. Bạn bắt đầu đi!"),
    ("beginner", "phở {reply}", "Chào bạn! Hôm nay mình nói về “phở {reply}” nhé. Bạn cứ nói chậm thôi!"),
    ("nope", "general", "Chào bạn! Hôm nay mình nói về “general” nhé. Bạn bắt đầu đi!"),
])
def test_greeting(difficulty, topic, greeting):
    assert CoachScript("coach", difficulty, topic).greeting() == greeting


def test_every_mistake_is_recordable_and_matches_its_own_original():
    for mistake in load_script()["mistakes"]:
        assert mistake["category"] in CATEGORIES, mistake
        assert js_pattern(mistake["pattern"]["source"], mistake["pattern"]["flags"]).search(mistake["original"])
    # Tone means the diacritics: a pronoun's choice is vocabulary.
    assert CoachScript("coach", "beginner").mistake("tôi muốn ăn phở")["category"] == "vocabulary"


def test_a_flag_python_cannot_honour_is_refused():
    with pytest.raises(ValueError):
        js_pattern("x", "gi")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_browser_coach_answers_the_same_from_the_same_file():
    """rehearsal-coach.js imports the JSON (import attributes) and says what CoachScript says."""
    lines = ["Xin chao, tôi muốn ăn phở", "Cái này bao nhiêu tiền không?", "Vâng", "cam on"]
    program = f"""
import {{ MISTAKES, RehearsalCoach }} from '{REHEARSAL_COACH.as_uri()}';
const coach = new RehearsalCoach({{ topic: 'chợ', difficulty: 'advanced', connectDelayMs: 0, replyDelayMs: 0 }});
const said = [];
coach.onMessage((m) => said.push(m));
const tick = () => new Promise((r) => setTimeout(r, 5));
await coach.connect(); await tick();
for (const line of {json.dumps(lines, ensure_ascii=False)}) {{ coach.send(line); await tick(); }}
console.log(JSON.stringify({{ mistakes: MISTAKES.length, said }}));
"""
    out = subprocess.run(["node", "--no-warnings", "--input-type=module", "-e", program],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    browser = json.loads(out)
    coach = CoachScript("coach", "advanced", "chợ")
    expected = [{"role": "coach", "text": coach.greeting()}]
    for line in lines:
        reply, correction = coach.reply(line)
        expected += [{"role": "user", "text": line}] + ([{"correction": correction}] if correction else [])
        expected += [{"role": "coach", "text": reply}]
    assert browser == {"mistakes": len(load_script()["mistakes"]), "said": expected}
