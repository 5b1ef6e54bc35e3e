"""The fake Gemini's ephemeral tokens: POST /v1alpha/auth_tokens (the call GeminiRestTokens
and google-genai's auth_tokens.create make) and the checks a Live connection's token passes.

As ai.google.dev/gemini-api/docs/ephemeral-tokens and CreateAuthTokenConfig (google-genai)
describe them: `uses` defaults to 1 and 0 means unlimited; `expireTime` (default 30 min) ends
every message; `newSessionExpireTime` (default 60 s) ends new sessions; the token locks its
`bidiGenerateContentSetup` (the whole of it without a `fieldMask`, else the listed fields).
"""
from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from speakpho.providers.gemini_rest import rfc3339

TOKEN_PATH = "/v1alpha/auth_tokens"
DEFAULT_EXPIRE_MS = 30 * 60_000
DEFAULT_NEW_SESSION_MS = 60_000


class Refused(Exception):
    """A Live connection refused: the WebSocket close code and reason the fake closes with."""

    def __init__(self, code: int, reason: str):
        super().__init__(f"{code} {reason}")
        self.code, self.reason = code, reason


# Close codes as seen from the real service (there is no official table: voice-providers.md).
POLICY, INVALID_ARGUMENT = 1008, 1007


@dataclass
class Token:
    name: str
    uses: int
    expire_ms: int
    new_session_expire_ms: int
    setup: dict
    locked: tuple[str, ...] | None   # None: the whole setup
    used: int = 0
    issued_ms: int = 0
    handles: set = field(default_factory=set)

    def log(self) -> dict:
        return {"provider": "gemini", "token": self.name, "uses": self.uses, "usedCount": self.used,
                "expiresAt": self.expire_ms, "newSessionExpiresAt": self.new_session_expire_ms,
                "constraints": self.setup}


def epoch_ms(text: str) -> int:
    """An RFC 3339 time ("...Z" or "+00:00") in epoch ms."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class TokenStore:
    def __init__(self, api_key: str, now_ms: Callable[[], int]):
        self.api_key, self.now_ms = api_key, now_ms
        self.tokens: dict[str, Token] = {}
        self.lock = threading.Lock()

    def mint(self, body: dict) -> Token:
        now = self.now_ms()
        setup = body.get("bidiGenerateContentSetup") or {}
        mask = body.get("fieldMask")
        token = Token(
            name=f"auth_tokens/{secrets.token_hex(16)}", uses=int(body.get("uses", 1)),
            expire_ms=epoch_ms(body["expireTime"]) if "expireTime" in body else now + DEFAULT_EXPIRE_MS,
            new_session_expire_ms=(epoch_ms(body["newSessionExpireTime"]) if "newSessionExpireTime" in body
                                   else now + DEFAULT_NEW_SESSION_MS),
            setup=setup, locked=tuple(f.split(".")[0] for f in mask.split(",")) if mask else None, issued_ms=now)
        if token.uses < 0:
            raise ValueError("uses must not be negative")
        with self.lock:
            self.tokens[token.name] = token
        return token

    def get(self, name: str | None) -> Token:
        with self.lock:
            token = self.tokens.get(name or "")
        if token is None:
            raise Refused(POLICY, "Requested entity was not found (unknown access token).")
        return token

    def check_open(self, token: Token) -> None:
        """Every message of a session needs the token unexpired."""
        if self.now_ms() >= token.expire_ms:
            raise Refused(POLICY, "The access token has expired (expireTime).")

    def use(self, token: Token, *, new_session: bool, counts: bool) -> None:
        """A connection starts: a new session before newSessionExpireTime, a use left if it counts."""
        self.check_open(token)
        if new_session and self.now_ms() >= token.new_session_expire_ms:
            raise Refused(POLICY, "The access token no longer starts new sessions (newSessionExpireTime).")
        with self.lock:
            if counts and token.uses and token.used >= token.uses:
                raise Refused(POLICY, "The access token has no uses left.")
            token.used += counts

    def log(self) -> list[dict]:
        with self.lock:
            return [token.log() for token in self.tokens.values()]


def error_body(status: int, message: str, reason: str) -> bytes:
    """An error in the shape Google's APIs answer with (google.rpc.Status in `error`)."""
    return json.dumps({"error": {"code": status, "message": message, "status": reason}}).encode()


def token_handler(store: TokenStore) -> type[BaseHTTPRequestHandler]:
    class TokenEndpoint(BaseHTTPRequestHandler):
        def answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802 (http.server's name)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.split("?")[0] != TOKEN_PATH:
                return self.answer(404, error_body(404, "Not found.", "NOT_FOUND"))
            key = self.headers.get("x-goog-api-key")
            if not key:
                return self.answer(403, error_body(403, "Method doesn't allow unregistered callers.",
                                                   "PERMISSION_DENIED"))
            if key != store.api_key:
                return self.answer(400, error_body(400, "API key not valid. Please pass a valid API key.",
                                                   "INVALID_ARGUMENT"))
            try:
                token = store.mint(json.loads(raw or b"{}"))
            except (ValueError, TypeError, KeyError, AttributeError) as err:
                return self.answer(400, error_body(400, f"Invalid token request: {type(err).__name__}",
                                                   "INVALID_ARGUMENT"))
            self.answer(200, json.dumps({"name": token.name, "uses": token.uses,
                                         "expireTime": rfc3339(token.expire_ms),
                                         "newSessionExpireTime": rfc3339(token.new_session_expire_ms)}).encode())

        def log_message(self, *args):  # the token is in no log line
            pass

    return TokenEndpoint


def serve_tokens(store: TokenStore) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), token_handler(store))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},  # stop() in 50 ms
                     name="fake-gemini-tokens", daemon=True).start()
    return server
