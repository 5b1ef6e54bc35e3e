"""A Gemini Live client for the tests (websockets, sync): it connects where a providerAccess
points (or a fake's live_url), sends the setup first, and checks every message both ways
against google-genai's types (LiveClientMessage, LiveServerMessage). Loopback only."""
from __future__ import annotations

import json

import pytest
from google.genai import types
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


class GeminiClient:
    def __init__(self, live_url: str, token: str, setup: dict):
        self.ws = connect(f"{live_url}?access_token={token}", open_timeout=5)
        self.received: list[dict] = []
        try:
            self.send({"setup": setup})
        except ConnectionClosed:
            pass   # refused before the setup went out (an unknown token): close_code() tells

    def send(self, message: dict) -> None:
        types.LiveClientMessage.model_validate(message)
        self.ws.send(json.dumps(message))

    def recv(self) -> dict:
        frame = self.ws.recv(timeout=5)
        assert isinstance(frame, bytes)   # binary frames, as the service sends them
        message = json.loads(frame)
        types.LiveServerMessage.model_validate(message)   # extra fields forbidden: a typo fails here
        self.received.append(message)
        return message

    def until(self, done) -> list[dict]:
        got = [self.recv()]
        while not done(got[-1]):
            got.append(self.recv())
        return got

    def turn(self) -> list[dict]:
        """Messages up to and including the next turnComplete."""
        return self.until(lambda m: m.get("serverContent", {}).get("turnComplete"))

    def close_code(self) -> tuple[int, str]:
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                self.recv()
        return closed.value.rcvd.code, closed.value.rcvd.reason

    def close(self) -> None:
        self.ws.close()
