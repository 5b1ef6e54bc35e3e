"""The coach's configuration: the one place that says what the voice coach is told, which
tool it has and how each provider is set up for it (docs/providers.md).

    profile.py   instructions from topic, difficulty and mode; the record_correction tool
    setups.py    the profile as each provider takes it: Gemini's BidiGenerateContentSetup
                 (locked into the ephemeral token), OpenAI's realtime session (sent with the
                 call); the client never sends either

Pure data, no I/O: the session area builds these per session; the local fakes read the
same tool and the same setup.
"""
from __future__ import annotations

from speakpho.coach.profile import RECORD_CORRECTION, CoachProfile, coach_profile
from speakpho.coach.setups import gemini_setup, openai_session

__all__ = ["RECORD_CORRECTION", "CoachProfile", "coach_profile", "gemini_setup", "openai_session"]
