"""A learner's WebRTC client for the tests of the fake OpenAI Realtime (aiortc, 127.0.0.1 only).

It does what the browser does in the unified interface: an offer with a microphone track (a
ToneTrack: a tone while it speaks, silence otherwise) and the `oai-events` data channel; our
server's OpenAIRestCalls creates the call with the session; the answer completes the connection.
Every event it sends is checked against the openai SDK's client event types, every event it
receives against the server event types (tests/openai_models.py).
"""
from __future__ import annotations

import asyncio
import json

from aiortc import RTCSessionDescription

from local.fakes.loopback_ice import new_peer_connection
from local.fakes.openai_voice import AudioMeter, ToneTrack
from openai_models import client_event, server_event

TIMEOUT = 10


class RtcLearner:
    def __init__(self) -> None:
        self.pc = new_peer_connection()
        self.mic = ToneTrack()
        self.pc.addTrack(self.mic)
        self.ears = AudioMeter()
        self.pc.on("track", lambda track: self.ears.listen(track))
        self.channel = self.pc.createDataChannel("oai-events")
        self.events: list[dict] = []
        self.unknown: list[str] = []  # events the SDK's types refuse (tests assert there are none)
        self.arrived = asyncio.Condition()
        self.offer_sdp = ""
        self.answer_sdp = ""
        self.call_id = ""
        self.channel.on("message", lambda raw: asyncio.ensure_future(self._received(raw)))

    async def _received(self, raw: str) -> None:
        event = json.loads(raw)
        try:
            server_event(event)
        except (AssertionError, ValueError) as err:  # pydantic's ValidationError is a ValueError
            self.unknown.append(f"{event.get('type')}: {err}")
        async with self.arrived:
            self.events.append(event)
            self.arrived.notify_all()

    async def call(self, calls, api_key: str, session: dict) -> str:
        """Creates the call through `calls` (our OpenAIRestCalls) and connects."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        self.offer_sdp = self.pc.localDescription.sdp
        self.answer_sdp, self.call_id = await asyncio.to_thread(
            calls.create_call, api_key, sdp=self.offer_sdp, session=session)
        await self.pc.setRemoteDescription(RTCSessionDescription(self.answer_sdp, "answer"))
        return self.call_id

    def send(self, event: dict) -> None:
        client_event(event)
        self.channel.send(json.dumps(event, ensure_ascii=False))

    def say_typed(self, text: str) -> None:
        self.send({"type": "conversation.item.create",
                   "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}})

    def hand_over(self, role: str, text: str) -> None:
        kind = "input_text" if role == "user" else "output_text"
        self.send({"type": "conversation.item.create",
                   "item": {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}})

    async def wait(self, kind: str, after: int = 0, timeout: float = TIMEOUT) -> dict:
        """The first event of type `kind` from index `after` on."""
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(
                lambda: any(e["type"] == kind for e in self.events[after:])), timeout)
            return next(e for e in self.events[after:] if e["type"] == kind)

    def types(self, after: int = 0) -> list[str]:
        return [e["type"] for e in self.events[after:]]

    async def wait_state(self, *states: str, timeout: float = TIMEOUT) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.pc.connectionState not in states:
            if loop.time() > deadline:
                raise TimeoutError(f"peer connection still {self.pc.connectionState}, wanted {states}")
            await asyncio.sleep(0.02)
        return self.pc.connectionState

    async def close(self) -> None:
        self.ears.stop()
        await self.pc.close()
