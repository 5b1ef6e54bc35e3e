"""One call of the fake OpenAI Realtime: its peer connection, the `oai-events` data channel and
the scripted coach behind it (local/fakes/coach_script.py).

The conversation, as the real API runs it (guide "realtime-conversations"):
  * on the channel's open: session.created with the session the call was created with;
  * session.update may not change instructions, tools, tool_choice or model: an `error` event;
    other fields are merged (session.updated). NOT the real API's behaviour: OpenAI lets the
    browser holding the call change them (openai-realtime-api-beta#115); the fake refuses
    because our server owns the coach, so that a client that tries is caught in tests;
  * conversation.item.create before the first response hands earlier turns over (counted as
    contextTurns; the coach then continues instead of greeting); after it, a learner's
    input_text item stands in for speech: the fake sends what the learner saying those words
    sends (speech_started/stopped, committed, the item, its input transcription);
  * response.create: the greeting (first, nothing handed over), the reply to the learner's
    line, or nothing to say; in coach mode a mistake adds a record_correction function call;
  * about a second of loud audio on the track is an utterance of LEARNER_LINE, answered at
    once (server_vad's create_response);
  * a function_call_output item is accepted; input_audio_buffer.clear/commit answered.
"""
from __future__ import annotations

import ast
import asyncio
import json
import re

from aiortc import RTCSessionDescription

from local.fakes import openai_events as ev
from local.fakes.coach_script import CoachScript
from local.fakes.loopback_ice import loopback_candidates_only, new_peer_connection
from local.fakes.openai_voice import AudioMeter, ToneTrack
from speakpho.coach.profile import LEVELS, RECORD_CORRECTION

LEARNER_LINE = "Xin chao, tôi muốn ăn phở"
SECONDS_PER_WORD = 0.05   # how long the coach's tone lasts per word (kept short for tests)
SERVER_OWNED = ("instructions", "tools", "tool_choice", "model")
TOPIC = re.compile(r"^Topic of the conversation \(chosen by the learner\): (.+)\.$", re.MULTILINE)


def script_for(session: dict) -> CoachScript:
    """The scripted coach for the session our server configured (speakpho.coach.openai_session)."""
    instructions = session.get("instructions") or ""
    difficulty = next((level for level, text in LEVELS.items() if text in instructions), "intermediate")
    corrects = any(tool.get("name") == RECORD_CORRECTION["name"] for tool in session.get("tools") or [])
    topic = TOPIC.search(instructions)
    try:
        topic_text = str(ast.literal_eval(topic.group(1))) if topic else "general"
    except (ValueError, SyntaxError):
        topic_text = "general"
    return CoachScript("coach" if corrects else "free", difficulty, topic_text)


class FakeCall:
    def __init__(self, call_id: str, session: dict, opened_at: int):
        self.call_id, self.session, self.opened_at = call_id, dict(session), opened_at
        self.closed_at: int | None = None
        self.close_code: int | None = None
        self.context_turns = 0
        self.script = script_for(session)
        self.conversation_id = ev.new_id("conv")
        self.pc = new_peer_connection()
        self.voice = ToneTrack()
        self.ears = AudioMeter(self._utterance)
        self.channel = None
        self.answered = False
        self.last_item_id: str | None = None
        self.learner_line: str | None = None
        self.handed_over_line: str | None = None
        self.pc.on("track", lambda track: self.ears.listen(track) if track.kind == "audio" else None)
        self.pc.on("datachannel", self._channel)

    @property
    def open(self) -> bool:
        return self.closed_at is None

    async def answer(self, offer_sdp: str) -> str:
        await self.pc.setRemoteDescription(loopback_candidates_only(RTCSessionDescription(offer_sdp, "offer")))
        self.pc.addTrack(self.voice)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def close(self, code: int, at_ms: int) -> None:
        if self.open:
            self.closed_at, self.close_code = at_ms, code
        self.ears.stop()
        await self.pc.close()

    def send(self, event: dict) -> None:
        if self.channel is not None and self.channel.readyState == "open" and self.open:
            self.channel.send(json.dumps(event, ensure_ascii=False))

    def _channel(self, channel) -> None:
        if channel.label != "oai-events":
            return
        self.channel = channel
        channel.on("message", self._message)
        if channel.readyState == "open":
            self.send(ev.event("session.created", session=self.session))
        else:
            channel.on("open", lambda: self.send(ev.event("session.created", session=self.session)))

    def _message(self, raw) -> None:
        try:
            message = json.loads(raw)
            kind = message["type"]
        except (ValueError, TypeError, KeyError):
            self.send(ev.error("The client event is not JSON with a type.", code="invalid_json"))
            return
        handler = getattr(self, "_on_" + kind.replace(".", "_"), None)
        if handler is None:
            self.send(ev.error(f"The fake does not serve client events of type {kind}.", code="unsupported_event",
                               client_event_id=message.get("event_id"), param="type"))
            return
        handler(message)

    def _on_session_update(self, message: dict) -> None:
        change = message.get("session") or {}
        refused = [name for name in SERVER_OWNED if name in change and change[name] != self.session.get(name)]
        if refused:
            self.send(ev.error(f"The server set the session's {refused[0]}; the client may not change it.",
                               code="session_update_refused", client_event_id=message.get("event_id"),
                               param=f"session.{refused[0]}"))
            return
        self.session.update(change)
        self.send(ev.event("session.updated", session=self.session))

    def _on_conversation_item_create(self, message: dict) -> None:
        item = dict(message.get("item") or {})
        item.setdefault("id", ev.new_id("item"))
        texts = [part.get("text") for part in item.get("content") or [] if part.get("text")]
        if item.get("type") == "message" and item.get("role") == "user" and texts and self.answered:
            self.learner_line = " ".join(texts)
            self._spoken(item["id"], self.learner_line, 0, 1000)
            return
        if item.get("type") == "message" and not self.answered:
            self.context_turns += 1
            if item.get("role") == "user" and texts:
                self.handed_over_line = " ".join(texts)
        item = {**item, "object": "realtime.item", "status": "completed"}
        previous, self.last_item_id = self.last_item_id, item["id"]
        self.send(ev.event("conversation.item.added", item=item, previous_item_id=previous))
        self.send(ev.event("conversation.item.done", item=item, previous_item_id=previous))

    def _on_response_create(self, message: dict) -> None:
        self._respond()

    def _on_input_audio_buffer_append(self, message: dict) -> None:
        pass  # WebRTC audio comes on the track; appended audio is not transcribed here

    def _on_input_audio_buffer_clear(self, message: dict) -> None:
        self.send(ev.event("input_audio_buffer.cleared"))

    def _on_input_audio_buffer_commit(self, message: dict) -> None:
        item_id, previous = ev.new_id("item"), self.last_item_id
        self.last_item_id = item_id
        self.send(ev.event("input_audio_buffer.committed", item_id=item_id, previous_item_id=previous))

    def _spoken(self, item_id: str, line: str, start_ms: int, end_ms: int) -> None:
        previous, self.last_item_id = self.last_item_id, item_id
        for event in ev.learner_speech(item_id, previous, line, start_ms, end_ms):
            self.send(event)

    def _utterance(self, start_ms: int, end_ms: int) -> None:
        self.learner_line = LEARNER_LINE
        self._spoken(ev.new_id("item"), LEARNER_LINE, start_ms, end_ms)
        self._respond()

    def _respond(self) -> None:
        correction = None
        if self.learner_line is not None:
            words, correction = self.script.reply(self.learner_line)
        elif not self.answered and self.context_turns == 0:
            words = self.script.greeting()
        elif not self.answered:
            words = self.script.reply(self.handed_over_line or "")[0]  # continues; its mistakes were recorded before
        else:
            words = None
        self.answered, self.learner_line = True, None
        response_id = ev.new_id("resp")
        voice = ((self.session.get("audio") or {}).get("output") or {}).get("voice")
        self.send(ev.event("response.created", response=ev.response(
            response_id, "in_progress", [], self.conversation_id, voice)))
        output, events = [], []
        if words:
            item_id = ev.new_id("item")
            events += ev.spoken_answer(response_id, item_id, 0, words)
            output.append(ev.assistant_message(item_id, words))
        if words and correction and self.script.corrects:
            call = ev.function_call(ev.new_id("item"), ev.new_id("call"), RECORD_CORRECTION["name"], correction)
            events += ev.function_call_events(response_id, call, len(output))
            output.append(call)
        for event in events:
            self.send(event)
        if output:
            self.last_item_id = output[-1]["id"]
        self.send(ev.event("response.done", response=ev.response(
            response_id, "completed", output, self.conversation_id, voice)))
        if words:
            seconds = self.voice.speak(max(0.2, SECONDS_PER_WORD * len(words.split())))
            asyncio.get_running_loop().call_later(seconds, lambda: self.send(
                ev.event("output_audio_buffer.stopped", response_id=response_id)))
