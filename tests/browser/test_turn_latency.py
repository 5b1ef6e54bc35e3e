"""web/js/providers/turn-latency.js in Chromium, with a scripted clock: a turn runs from the
provider's end-of-speech signal to the coach's first audio, firstAudioMs from connecting to the
first audio on that provider, and the end's summary is what the API's model takes
(speakpho.models.ProviderLatency: the histogram adds up to turns)."""
from __future__ import annotations

import math

import pytest
from speakpho import latency
from speakpho.models import ProviderLatency

pytestmark = pytest.mark.browser

# (samples, expected p50, expected p95): nearest rank on the turns themselves.
RANKS = [([120], 120, 120), ([300, 100, 200], 200, 300), ([5] * 19 + [9000], 5, 5),
         (list(range(1, 101)), 50, 95), ([], None, None)]

# Each step: [what, at ms]; the summary after them.
SCRIPT = [["connecting", "gemini", 0], ["coachAudio", None, 350],            # the greeting: firstAudioMs 350
          ["speechEnded", None, 1000], ["speechEnded", None, 1200], ["coachAudio", None, 1650],   # the last mark wins: 450
          ["coachAudio", None, 1700],                                        # more audio of the same turn: no turn
          ["speechEnded", None, 2000], ["coachAudio", None, 8000],           # 6000: above the last bucket
          ["connecting", "openai", 9000], ["speechEnded", None, 9500],       # no audio yet: no turn, no firstAudio
          ["connecting", "openai", 10000], ["speechEnded", None, 10100], ["coachAudio", None, 10180]]


def test_nearest_rank_and_the_summary(page, runner):
    page.goto(runner.base + "/config.json")
    out = page.evaluate("""async ([ranks, script]) => {
        const m = await import('/js/providers/turn-latency.js');
        let now = 0;
        const t = new m.TurnLatency(() => now);
        for (const [what, provider, at] of script) { now = at; provider ? t[what](provider) : t[what](); }
        return { ranks: ranks.map(([s]) => [m.nearestRank(s, 50), m.nearestRank(s, 95)]), summary: t.summary(),
                 empty: new m.TurnLatency(() => 0).summary() };
    }""", [RANKS, SCRIPT])
    assert out["ranks"] == [[p50, p95] for _, p50, p95 in RANKS]
    assert out["empty"] is None
    gemini, openai = out["summary"]["gemini"], out["summary"]["openai"]
    assert gemini == {"turns": 2, "p50Ms": 450, "p95Ms": 6000, "firstAudioMs": 350,
                      "histogram": latency.histogram_of([450, 6000])}
    assert openai == {"turns": 1, "p50Ms": 80, "p95Ms": 80, "firstAudioMs": 180,
                      "histogram": latency.histogram_of([80])}
    for figures in out["summary"].values():
        ProviderLatency.model_validate(figures)
    assert math.isclose(sum(gemini["histogram"]), gemini["turns"])
