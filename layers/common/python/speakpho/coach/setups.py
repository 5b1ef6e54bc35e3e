"""The coach as each provider's wire format takes it (camelCase JSON, as sent).

Gemini: a BidiGenerateContentSetup (ai.google.dev Live API reference), the `setup` a client
sends first and the `bidiGenerateContentSetup` an ephemeral token locks: audio out, both
transcriptions, session resumption (handles to resume a dropped or GoAway'd connection) and
context-window compression (without it an audio session is cut at about 15 minutes).

OpenAI: a realtime session (`session` of POST /v1/realtime/calls, developers.openai.com
"realtime-webrtc"): type realtime, the model, instructions, the tool, input transcription.
"""
from __future__ import annotations

from speakpho.coach.profile import RECORD_CORRECTION, CoachProfile

GEMINI_VOICE = "Kore"
OPENAI_VOICE = "marin"
OPENAI_TRANSCRIBER = "gpt-4o-mini-transcribe"
# Compression starts when the context passes this many tokens and keeps the newest part.
GEMINI_COMPRESSION_TRIGGER_TOKENS = 25_600


def _tools(profile: CoachProfile) -> list[dict]:
    return [RECORD_CORRECTION] if profile.corrects else []


def gemini_setup(model: str, profile: CoachProfile) -> dict:
    """The BidiGenerateContentSetup for this coach (model as `models/<id>`)."""
    setup = {
        "model": model if model.startswith("models/") else f"models/{model}",
        "generationConfig": {
            "responseModalities": ["AUDIO"],
            "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": GEMINI_VOICE}}},
        },
        "systemInstruction": {"parts": [{"text": profile.instructions}]},
        "inputAudioTranscription": {},
        "outputAudioTranscription": {},
        "sessionResumption": {},
        "contextWindowCompression": {"triggerTokens": GEMINI_COMPRESSION_TRIGGER_TOKENS, "slidingWindow": {}},
    }
    tools = _tools(profile)
    if tools:
        setup["tools"] = [{"functionDeclarations": tools}]
    return setup


def openai_session(model: str, profile: CoachProfile) -> dict:
    """The realtime session config sent with the call (POST /v1/realtime/calls)."""
    session = {
        "type": "realtime",
        "model": model,
        "instructions": profile.instructions,
        "audio": {
            "input": {"transcription": {"model": OPENAI_TRANSCRIBER}, "turn_detection": {"type": "server_vad"}},
            "output": {"voice": OPENAI_VOICE},
        },
    }
    tools = _tools(profile)
    if tools:
        session["tools"] = [{"type": "function", **tool} for tool in tools]
        session["tool_choice"] = "auto"
    return session
