"""A fake of the Gemini Live API for `make dev` and the tests, on 127.0.0.1 only.

Built from Google's public documentation:
  - ai.google.dev/gemini-api/docs/ephemeral-tokens: auth_tokens on v1alpha; uses (default 1,
    0 unlimited; resuming a session is not a use), expireTime, newSessionExpireTime, the locked
    bidiGenerateContentSetup; the client connects to BidiGenerateContentConstrained with
    ?access_token=<name>.
  - ai.google.dev/api/live (the Live API WebSockets reference): the client's setup, clientContent,
    realtimeInput, toolResponse; the server's setupComplete, serverContent (inputTranscription,
    modelTurn, outputTranscription, turnComplete), toolCall, goAway {timeLeft},
    sessionResumptionUpdate {newHandle, resumable}.
  - ai.google.dev/gemini-api/docs/live-session: GoAway before a connection ends; resumption
    handles valid for 2 hours.
  - google-genai 3.6.1's CreateAuthTokenConfig and LiveServerMessage types (every message sent
    here parses as one: tests/local/test_fake_gemini.py).
Close codes have no official table; the fake uses what was seen in the field
(/work/shared/reference/voice-providers.md): 1008 for a token that may not connect, 1007 for an
invalid argument (setup, tool response), 1011 at a GoAway's deadline and for an outage (fail()).

    fake = FakeGemini(api_key).start()   # GEMINI_API_BASE=fake.api_base, GEMINI_LIVE_URL=fake.live_url
    fake.go_away(500); fake.fail(1011, "Internal error"); fake.log(); fake.stop()
"""
from __future__ import annotations

import asyncio
import secrets
import threading
from typing import Callable

from websockets.asyncio.server import serve

from local.fakes.gemini_live import LIVE_PATH, ConnectionLog, LiveConnection, Resumable
from local.fakes.gemini_tokens import INVALID_ARGUMENT, Refused, TokenStore, serve_tokens
from speakpho.clock import clock

HANDLE_TTL_MS = 2 * 60 * 60_000
GO_AWAY_CLOSE = (1011, "Deadline expired.")
CALL_TIMEOUT_S = 10


def duration(ms: int) -> str:
    """A google.protobuf.Duration in its JSON form: "50s", "0.250s"."""
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms / 1000:.3f}s"


class FakeGemini:
    def __init__(self, api_key: str, now_ms: Callable[[], int] = clock.now_ms, *,
                 resume_counts_as_use: bool = False, greeting_delay_s: float = 0.15):
        self.now_ms = now_ms
        self.store = TokenStore(api_key, now_ms)
        self.resume_counts_as_use = resume_counts_as_use
        self.greeting_delay_s = greeting_delay_s
        self.handles: dict[str, Resumable] = {}
        self.open: set[LiveConnection] = set()
        self.connections: list[ConnectionLog] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeGemini:
        self.http = serve_tokens(self.store)
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), name="fake-gemini-live", daemon=True)
        self.thread.start()
        if not started.wait(10):
            raise RuntimeError("the fake Gemini Live server did not start")
        return self

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)

        async def main():
            self.server = await serve(self._connection, "127.0.0.1", 0, max_size=None)
            self.ws_port = self.server.sockets[0].getsockname()[1]
            self.stopped = asyncio.Event()
            started.set()
            await self.stopped.wait()
            self.server.close()
            await self.server.wait_closed()

        self.loop.run_until_complete(main())
        self.loop.close()

    def stop(self) -> None:
        if self.loop and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.stopped.set)
            self.thread.join(10)
        self.http.shutdown()
        self.http.server_close()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    @property
    def live_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}{LIVE_PATH}"

    # ------------------------------------------------------------------ connections
    async def _connection(self, ws) -> None:
        connection = LiveConnection(ws, self, ConnectionLog(token=None, openedAt=self.now_ms()))
        self.connections.append(connection.log)
        self.open.add(connection)
        try:
            await connection.run()
        finally:
            self.open.discard(connection)

    def issue_handle(self, state: Resumable) -> str:
        handle = secrets.token_urlsafe(24)
        self.handles[handle] = state
        return handle

    def resumable(self, handle: str) -> Resumable:
        state = self.handles.get(handle)
        if state is None or self.now_ms() - state.issued_ms > HANDLE_TTL_MS:
            raise Refused(INVALID_ARGUMENT, "The session resumption handle is not valid.")
        return state

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(CALL_TIMEOUT_S)

    # ------------------------------------------------------------------ what the provider does
    def go_away(self, time_left_ms: int) -> None:
        """Every open connection hears goAway {timeLeft} and is closed when that time is up."""
        async def notice():
            for connection in list(self.open):
                await connection.send({"goAway": {"timeLeft": duration(time_left_ms)}})
                connection.spawn(self._close_later(connection, time_left_ms / 1000))
        self._call(notice())

    async def _close_later(self, connection: LiveConnection, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await connection.ws.close(*GO_AWAY_CLOSE)

    def fail(self, code: int, reason: str = "Internal error encountered.") -> None:
        """Closes every open connection with `code`, as a provider outage would (e.g. 1011)."""
        async def close_all():
            await asyncio.gather(*(c.ws.close(code, reason) for c in list(self.open)))
        self._call(close_all())

    def log(self) -> dict:
        return {"tokens": self.store.log(), "connections": [c.as_dict() for c in list(self.connections)]}
