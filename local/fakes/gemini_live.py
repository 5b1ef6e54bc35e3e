"""One connection to the fake Gemini Live API: the BidiGenerateContent protocol in JSON
(ai.google.dev/api/live, ai.google.dev/gemini-api/docs/live-session), spoken by CoachScript.

    client: {"setup": ...} first   ->  {"setupComplete": {}}, {"sessionResumptionUpdate": ...}
            (no handed-over turns) ->  the coach greets
    client: clientContent (turns handed over; turnComplete: answer the last one),
            realtimeInput (text: the learner's words; audio: counted, and after audioStreamEnd or
            AUDIO_TURN_BYTES the learner is heard saying HEARD_FROM_AUDIO), toolResponse
    answer: serverContent.inputTranscription, in coach mode toolCall record_correction (waits a
            little for its toolResponse), serverContent.modelTurn (PCM16 24 kHz), outputTranscription,
            turnComplete, then a new resumption handle.
"""
from __future__ import annotations

import ast
import asyncio
import base64
import json
import math
import re
import secrets
import struct
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed

from local.fakes.coach_script import CoachScript
from local.fakes.gemini_tokens import INVALID_ARGUMENT, POLICY, Refused
from speakpho.coach.profile import LEVELS

LIVE_PATH = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained"
SETUP_TIMEOUT_S = 10
TOOL_RESPONSE_TIMEOUT_S = 2.0
AUDIO_TURN_BYTES = 64_000            # 2 s of 16 kHz PCM16 without audioStreamEnd: a line was said
HEARD_FROM_AUDIO = "Xin chao, tôi muốn ăn phở"
OUTPUT_MIME = "audio/pcm;rate=24000"
TOPIC = re.compile(r"\(chosen by the learner\): ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\.")


def tone(rate: int = 24_000, seconds: float = 0.1, hz: float = 440.0) -> bytes:
    """A little PCM16 audio for the coach's turn (a quiet beep, not speech)."""
    return b"".join(struct.pack("<h", int(2000 * math.sin(2 * math.pi * hz * i / rate)))
                    for i in range(int(rate * seconds)))


AUDIO_OUT = base64.b64encode(tone()).decode()


def script_for(setup: dict) -> CoachScript:
    """The coach the locked setup describes: coach mode when record_correction is a tool; the
    level and topic from speakpho.coach's instructions (defaults when they are not there)."""
    tools = [d.get("name") for tool in setup.get("tools") or [] for d in tool.get("functionDeclarations") or []]
    text = " ".join(p.get("text", "") for p in (setup.get("systemInstruction") or {}).get("parts") or [])
    difficulty = next((level for level, words in LEVELS.items() if words in text), "intermediate")
    found = TOPIC.search(text)
    topic = ast.literal_eval(found.group(1)) if found else "general"
    return CoachScript("coach" if "record_correction" in tools else "free", difficulty, topic)


def same(name: str, client, locked) -> bool:
    if name == "model":
        as_model = lambda m: m if str(m).startswith("models/") else f"models/{m}"  # noqa: E731
        return as_model(client) == as_model(locked)
    if name == "sessionResumption":  # the handle is the client's to give
        client = {k: v for k, v in (client or {}).items() if k != "handle"}
    return client == locked


def effective_setup(token, setup: dict) -> dict:
    """The client's setup under the token's lock: a locked field left out comes from the token,
    one that says otherwise is refused."""
    locked = token.setup if token.locked is None else {k: v for k, v in token.setup.items() if k in token.locked}
    for name, value in locked.items():
        if name in setup and not same(name, setup[name], value):
            raise Refused(INVALID_ARGUMENT, f"setup.{name} contradicts the access token's locked setup.")
    merged = {**setup, **locked}
    handle = (setup.get("sessionResumption") or {}).get("handle")
    if handle:
        merged["sessionResumption"] = {**(merged.get("sessionResumption") or {}), "handle": handle}
    return merged


@dataclass
class Resumable:
    """What a resumption handle brings back: the conversation so far."""
    script: CoachScript
    issued_ms: int


@dataclass
class ConnectionLog:
    token: str | None
    openedAt: int  # noqa: N815 (the log's JSON names)
    closedAt: int | None = None  # noqa: N815
    closeCode: int | None = None  # noqa: N815
    audioBytesIn: int = 0  # noqa: N815
    contextTurns: int = 0  # noqa: N815
    resumed: bool = False
    toolResponses: int = 0  # noqa: N815

    def as_dict(self) -> dict:
        return {"provider": "gemini", **self.__dict__}


@dataclass(eq=False)   # hashed by identity: the fake keeps the open ones in a set
class LiveConnection:
    ws: object
    fake: object          # FakeGemini: store, handles, now_ms, flags
    log: ConnectionLog
    answered: bool = False
    pending_audio: int = 0
    calls: dict = field(default_factory=dict)
    tasks: set = field(default_factory=set)
    speaking: asyncio.Lock = field(default_factory=asyncio.Lock)   # one coach turn at a time

    async def send(self, message: dict) -> None:
        # JSON in binary frames, as the service sends it: a browser gets Blobs (google-genai reads
        # with recv(decode=False); raw-WebSocket clients in the wild do `await event.data.text()`).
        await self.ws.send(json.dumps(message, ensure_ascii=False).encode())

    def spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run(self) -> None:
        try:
            await self.open()
            async for raw in self.ws:
                self.fake.store.check_open(self.token)
                await self.on_message(json.loads(raw))
        except Refused as refused:
            await self.ws.close(refused.code, refused.reason)
        except (ValueError, AttributeError, TypeError):
            await self.ws.close(INVALID_ARGUMENT, "Invalid JSON payload received.")
        except ConnectionClosed:
            pass
        finally:
            for task in list(self.tasks):
                task.cancel()
            await self.ws.wait_closed()
            self.log.closedAt = self.fake.now_ms()
            self.log.closeCode = self.ws.close_code

    async def open(self) -> None:
        url = urlsplit(self.ws.request.path)
        if url.path != LIVE_PATH:
            raise Refused(POLICY, "Method not found.")
        self.log.token = (parse_qs(url.query).get("access_token") or [None])[0]
        self.token = self.fake.store.get(self.log.token)
        first = json.loads(await asyncio.wait_for(self.ws.recv(), SETUP_TIMEOUT_S))
        if not isinstance(first, dict) or set(first) != {"setup"} or not isinstance(first["setup"], dict):
            raise Refused(INVALID_ARGUMENT, "The first message must be setup.")
        self.setup = effective_setup(self.token, first["setup"])
        handle = self.setup.get("sessionResumption", {}).get("handle")
        resumed = self.fake.resumable(handle) if handle else None
        self.fake.store.use(self.token, new_session=resumed is None,
                            counts=resumed is None or self.fake.resume_counts_as_use)
        self.log.resumed = resumed is not None
        self.script = resumed.script if resumed else script_for(self.setup)
        self.answered = resumed is not None    # a resumed conversation goes on: no greeting
        await self.send({"setupComplete": {}})
        await self.resumption_update()
        if not resumed:
            self.spawn(self.greet_later())

    async def resumption_update(self) -> None:
        if "sessionResumption" in self.setup:
            handle = self.fake.issue_handle(Resumable(self.script, self.fake.now_ms()))
            await self.send({"sessionResumptionUpdate": {"newHandle": handle, "resumable": True}})

    async def greet_later(self) -> None:
        await asyncio.sleep(self.fake.greeting_delay_s)   # turns handed over right after setup: no greeting
        async with self.speaking:
            if not self.answered and not self.log.contextTurns:
                self.answered = True
                await self.speak(self.script.greeting())

    async def on_message(self, message: dict) -> None:
        if "clientContent" in message:
            content = message["clientContent"]
            turns = content.get("turns") or []
            if not self.answered:
                self.log.contextTurns += len(turns)
            if content.get("turnComplete") and turns:
                said = " ".join(p.get("text", "") for p in turns[-1].get("parts") or []).strip()
                self.spawn(self.answer(said))
        elif "realtimeInput" in message:
            self.on_realtime(message["realtimeInput"])
        elif "toolResponse" in message:
            for response in message["toolResponse"].get("functionResponses") or []:
                waiting = self.calls.pop(response.get("id"), None)
                if waiting is None:
                    raise Refused(INVALID_ARGUMENT, "A function response names no pending function call.")
                self.log.toolResponses += 1
                waiting.set_result(response)
        else:
            raise Refused(INVALID_ARGUMENT, f"Unexpected client message: {sorted(message)[:3]}.")

    def on_realtime(self, realtime: dict) -> None:
        if realtime.get("text"):
            self.spawn(self.answer(realtime["text"]))
        chunks = [realtime["audio"]] if realtime.get("audio") else []
        chunks += realtime.get("mediaChunks") or []
        for chunk in chunks:
            size = len(base64.b64decode(chunk.get("data", "")))
            self.log.audioBytesIn += size
            self.pending_audio += size
        if self.pending_audio and (realtime.get("audioStreamEnd") or self.pending_audio >= AUDIO_TURN_BYTES):
            self.pending_audio = 0
            self.spawn(self.answer(HEARD_FROM_AUDIO))

    async def answer(self, said: str) -> None:
        async with self.speaking:
            self.answered = True
            await self.send({"serverContent": {"inputTranscription": {"text": said}}})
            reply, correction = self.script.reply(said)
            if correction:
                await self.call_tool(correction)
            await self.speak(reply)

    async def call_tool(self, correction: dict) -> None:
        call_id = f"call-{secrets.token_hex(4)}"
        self.calls[call_id] = asyncio.get_running_loop().create_future()
        await self.send({"toolCall": {"functionCalls": [{"id": call_id, "name": "record_correction",
                                                         "args": correction}]}})
        try:
            await asyncio.wait_for(asyncio.shield(self.calls[call_id]), TOOL_RESPONSE_TIMEOUT_S)
        except asyncio.TimeoutError:
            pass   # the model carries on speaking; a late response is still taken

    async def speak(self, text: str) -> None:
        await self.send({"serverContent": {"modelTurn": {"role": "model", "parts": [
            {"inlineData": {"mimeType": OUTPUT_MIME, "data": AUDIO_OUT}}]}}})
        await self.send({"serverContent": {"outputTranscription": {"text": text}}})
        await self.send({"serverContent": {"turnComplete": True}})
        await self.resumption_update()
