"""`make try-providers`: what a browser does with provider access, against a running `make dev`,
printed step by step (curl cannot open a Live WebSocket or make a WebRTC offer):

  1. a Gemini start, its token opening one Live connection and refused for a second one;
  2. an OpenAI start, the call placed through POST /api/session/connect with a WebRTC offer
     (aiortc, 127.0.0.1 only), the end, and the fake's log showing the server's hangup.

    python -m local.try_providers [http://127.0.0.1:3000]
Exit status 0 when every step did what the design says.
"""
from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request

from local import tokens


def _call(api: str, method: str, path: str, body=None, token: str | None = None) -> dict:
    request = urllib.request.Request(api + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())["data"]


def try_gemini(api: str, token: str) -> bool:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    started = _call(api, "POST", "/api/session/start", {"provider": "gemini"}, token)
    access = started["providerAccess"]
    print(f"gemini: session {started['sessionId']}, token expires in "
          f"{(access['expiresAt'] - started['startedAt']) // 1000} s")
    codes = []
    for attempt in (1, 2):
        with connect(f"{access['url']}?access_token={access['token']}", open_timeout=5) as ws:
            ws.send(json.dumps({"setup": {}}))   # the token's locked setup fills it in
            try:
                first = json.loads(ws.recv(timeout=5))
                codes.append("setupComplete" if "setupComplete" in first else str(first))
            except ConnectionClosed as closed:
                codes.append(f"closed {closed.rcvd.code} {closed.rcvd.reason}")
        print(f"gemini: connection {attempt} with the token: {codes[-1]}")
    _call(api, "POST", "/api/session/end", {"sessionId": started["sessionId"]}, token)
    return codes[0] == "setupComplete" and codes[1].startswith("closed 1008")


def try_openai(api: str, token: str) -> bool:
    from aiortc import RTCSessionDescription

    from local.fakes.browser_peer import browser_offer

    started = _call(api, "POST", "/api/session/start", {"provider": "openai"}, token)
    sid = started["sessionId"]

    async def place() -> str:
        pc = await browser_offer()
        answer = await asyncio.to_thread(_call, api, "POST", "/api/session/connect",
                                         {"sessionId": sid, "sdp": pc.localDescription.sdp}, token)
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        await pc.close()
        return answer["callId"]

    call_id = asyncio.run(place())
    print(f"openai: session {sid}, call {call_id} placed by the server")
    _call(api, "POST", "/api/session/end", {"sessionId": sid}, token)
    for _ in range(20):
        hangups = [h for h in _call(api, "GET", "/local/providers/log")["hangups"] if h["callId"] == call_id]
        if hangups:
            print(f"openai: the end hung up {call_id} (by {hangups[0]['by']})")
            return True
        time.sleep(0.2)
    print(f"openai: no hangup of {call_id} in /local/providers/log")
    return False


def main(argv: list[str]) -> int:
    api = (argv[1] if len(argv) > 1 else "http://127.0.0.1:3000").rstrip("/")
    token = tokens.mint(f"try-providers-{int(time.time())}")
    ok = try_gemini(api, token) and try_openai(api, token)
    print("provider access works" if ok else "provider access did NOT behave as docs/providers.md says")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
