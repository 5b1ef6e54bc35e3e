"""A fake OpenAI Realtime API with server-held WebRTC calls, for `make dev` and the tests:
OPENAI_API_BASE points at `api_base`, and speakpho.providers.openai_rest talks to it as to
https://api.openai.com/v1. Built from OpenAI's public documentation:

  * developers.openai.com/api/docs/guides/realtime-webrtc (the unified interface: the offer
    and the session go to POST /v1/realtime/calls as multipart/form-data; 201, the SDP answer,
    the call id in Location) and the API reference "Create call" / "Hang up call"
    (developers.openai.com/api/reference/resources/realtime/subresources/calls);
  * developers.openai.com/api/docs/guides/realtime-server-controls (the call id; hangup);
  * developers.openai.com/api/docs/guides/realtime-conversations and the API reference of the
    realtime client and server events (the `oai-events` data channel, local/fakes/openai_call.py);
  * the session maximum (60 minutes): an `error` event with code session_expired, then the
    connection closes, recorded with 1001 (/work/shared/reference/voice-providers.md).

Its own thread runs its own asyncio loop; everything binds 127.0.0.1 only, ICE included
(local/fakes/loopback_ice.py). `log()` is what happened, in epoch ms of the injected clock.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import re
import secrets
import threading

from local.fakes import openai_events as ev
from local.fakes.openai_call import FakeCall
from local.fakes.tiny_http import Request, Response, form_parts, serve
from speakpho.clock import clock

SESSION_MAX_MINUTES = 60
EXPIRY_CHECK_SECONDS = 0.1
CLOSE_NORMAL, CLOSE_GOING_AWAY = 1000, 1001
HANGUP = re.compile(r"^/v1/realtime/calls/([^/?]+)/hangup$")


def api_error(status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
              param: str | None = None) -> Response:
    """OpenAI's REST error body: {"error": {message, type, param, code}}."""
    return Response.json(status, {"error": {"message": message, "type": kind, "param": param, "code": code}})


class FakeOpenAI:
    def __init__(self, api_key: str, now_ms=clock.now_ms, session_max_minutes: float = SESSION_MAX_MINUTES):
        self.api_key, self.now_ms = api_key, now_ms
        self.session_max_ms = int(session_max_minutes * 60_000)
        self.calls: dict[str, FakeCall] = {}
        self.hangups: list[dict] = []
        self.lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.server: asyncio.Server | None = None
        self.port = 0

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "FakeOpenAI":
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-openai", daemon=True)
        self.thread.start()
        self.server = self._run(serve(self._route))
        self.port = self.server.sockets[0].getsockname()[1]
        self._run(self._start_expiry())
        return self

    def stop(self) -> None:
        if self.loop is None:
            return
        self._run(self._shutdown(), timeout=15)
        self._run(self.loop.shutdown_asyncgens())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
        self.loop = None

    def fail(self, code: int, reason: str) -> None:
        """Ends every open call as a provider outage would (`reason` is for the reader of the test)."""
        self._run(self._end_all(code, by="fake"))

    def log(self) -> dict:
        with self.lock:
            connections = [{"provider": "openai", "callId": call.call_id, "openedAt": call.opened_at,
                            "closedAt": call.closed_at, "closeCode": call.close_code,
                            "audioBytesIn": call.ears.bytes_in, "contextTurns": call.context_turns}
                           for call in self.calls.values()]
            return {"connections": connections, "hangups": [dict(hangup) for hangup in self.hangups]}

    # -- on the fake's loop -------------------------------------------------------------

    def _run(self, coroutine, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start_expiry(self) -> None:
        self.expiry = asyncio.ensure_future(self._expire_calls())

    async def _expire_calls(self) -> None:
        while True:
            await asyncio.sleep(EXPIRY_CHECK_SECONDS)
            now = self.now_ms()
            for call in [c for c in list(self.calls.values()) if c.open and now - c.opened_at >= self.session_max_ms]:
                minutes = round(self.session_max_ms / 60_000)
                call.send(ev.error(f"Your session hit the maximum duration of {minutes} minutes.",
                                   code="session_expired"))
                await asyncio.sleep(0.05)  # the error leaves before the connection goes
                await self._close(call, CLOSE_GOING_AWAY, by="fake")

    async def _close(self, call: FakeCall, code: int, by: str) -> None:
        at = self.now_ms()
        with self.lock:
            if call.open:
                self.hangups.append({"callId": call.call_id, "at": at, "by": by})
        await call.close(code, at)

    async def _end_all(self, code: int, by: str) -> None:
        for call in list(self.calls.values()):
            if call.open:
                await self._close(call, code, by)

    async def _shutdown(self) -> None:
        self.expiry.cancel()
        await self._end_all(CLOSE_GOING_AWAY, by="fake")
        for call in list(self.calls.values()):
            await call.pc.close()  # also the ones the learner closed (their close may still run)
        self.server.close()
        await self.server.wait_closed()
        # Whatever still runs (aiortc's own tasks, a close begun by the learner's side) ends
        # here, so that no task outlives the loop (as asyncio.run ends its tasks).
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        if others:
            await asyncio.wait(others, timeout=2)
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def _authorized(self, request: Request) -> bool:
        return hmac.compare_digest(request.headers.get("authorization", ""), f"Bearer {self.api_key}")

    async def _route(self, request: Request) -> Response:
        if request.method != "POST":
            return api_error(405, "Only POST is served here.")
        if not self._authorized(request):
            return api_error(401, "Incorrect API key provided.", code="invalid_api_key")
        if request.path == "/v1/realtime/calls":
            return await self._create_call(request)
        hangup = HANGUP.match(request.path)
        if hangup:
            return await self._hangup(hangup.group(1))
        return api_error(404, f"Invalid URL (POST {request.path})")

    async def _create_call(self, request: Request) -> Response:
        try:
            parts = form_parts(request.headers.get("content-type", ""), request.body)
            sdp = parts["sdp"][1].decode("utf-8")
            session = json.loads(parts["session"][1]) if "session" in parts else {"type": "realtime"}
        except (ValueError, KeyError):
            return api_error(400, "Expected multipart/form-data with an sdp part (and a JSON session part).",
                             param="sdp")
        if not sdp.startswith("v=0") or not isinstance(session, dict):
            return api_error(400, "The sdp part is not an SDP offer.", param="sdp")
        call = FakeCall(f"rtc_{secrets.token_hex(16)}", session, self.now_ms())
        try:
            answer = await call.answer(sdp)
        except Exception as err:  # noqa: BLE001 - a bad offer is the caller's 400, as the API answers it
            await call.pc.close()
            return api_error(400, f"The SDP offer could not be answered ({type(err).__name__}).", param="sdp")
        with self.lock:
            self.calls[call.call_id] = call
        call.pc.on("connectionstatechange", lambda: self._peer_changed(call))
        return Response(201, answer.encode(), {"Content-Type": "application/sdp",
                                               "Location": f"/v1/realtime/calls/{call.call_id}"})

    def _peer_changed(self, call: FakeCall) -> None:
        # The learner's side went away (closed its peer connection, or ICE/DTLS failed).
        if call.open and call.pc.connectionState in ("closed", "failed"):
            asyncio.ensure_future(call.close(CLOSE_NORMAL if call.pc.connectionState == "closed" else 1006,
                                             self.now_ms()))

    async def _hangup(self, call_id: str) -> Response:
        call = self.calls.get(call_id)
        if call is None or not call.open:
            return api_error(404, f"Call {call_id} not found.", code="call_not_found")
        await self._close(call, CLOSE_NORMAL, by="server")
        return Response(200)
