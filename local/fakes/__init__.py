"""Local fakes of the voice providers, for `make dev` and the tests (loopback only).

    coach_script.py  the scripted coach's lines, from web/js/coach-script.json (shared with the
                     browser's rehearsal coach)
    gemini.py        a fake Gemini: the ephemeral-token endpoint and the Live API WebSocket, with
                     gemini_tokens.py (tokens, their checks, POST /v1alpha/auth_tokens) and
                     gemini_live.py (one Live connection: setup under the lock, the coach's turns)
    openai_realtime.py  a fake OpenAI Realtime: server-held WebRTC calls (create, hangup), with
                     openai_call.py (one call's oai-events channel), openai_events.py (server
                     events), openai_voice.py (tone out, audio counted in), loopback_ice.py
                     (aiortc on 127.0.0.1 only), tiny_http.py (its REST routes)
"""
