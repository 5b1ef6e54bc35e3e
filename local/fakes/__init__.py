"""Local fakes of the voice providers, for `make dev` and the tests (loopback only).

    coach_script.py  the scripted coach's lines, from web/js/coach-script.json (shared with the
                     browser's rehearsal coach)
    gemini.py        a fake Gemini: the ephemeral-token endpoint and the Live API WebSocket
"""
