"""The server events the fake OpenAI Realtime sends, as the Realtime API reference names and
shapes them (developers.openai.com/api/reference/resources/realtime: server events; the guide
"realtime-conversations" for which events a WebRTC response sends: audio goes on the media
track, so no response.output_audio.delta, and output_audio_buffer.started/stopped frame it).

Pure builders (ids come from `new_id`); tests/local/test_fake_openai.py validates every one
against the openai SDK's RealtimeServerEvent types.
"""
from __future__ import annotations

import json
import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


def event(kind: str, **fields) -> dict:
    return {"type": kind, "event_id": new_id("event"), **fields}


def error(message: str, *, code: str, client_event_id: str | None = None, param: str | None = None,
          kind: str = "invalid_request_error") -> dict:
    return event("error", error={"type": kind, "code": code, "message": message, "param": param,
                                 "event_id": client_event_id})


def user_message(item_id: str, *, text: str | None = None, transcript: str | None = None) -> dict:
    """A learner's item: typed (input_text) or spoken (input_audio, its transcript once known)."""
    content = ({"type": "input_text", "text": text} if text is not None
               else {"type": "input_audio", "transcript": transcript})
    return {"id": item_id, "object": "realtime.item", "type": "message", "role": "user",
            "status": "completed", "content": [content]}


def assistant_message(item_id: str, transcript: str, status: str = "completed") -> dict:
    return {"id": item_id, "object": "realtime.item", "type": "message", "role": "assistant",
            "status": status, "content": [{"type": "output_audio", "transcript": transcript}]}


def function_call(item_id: str, call_id: str, name: str, arguments: dict) -> dict:
    return {"id": item_id, "object": "realtime.item", "type": "function_call", "status": "completed",
            "call_id": call_id, "name": name, "arguments": json.dumps(arguments, ensure_ascii=False)}


def response(response_id: str, status: str, output: list[dict], conversation_id: str, voice: str | None) -> dict:
    body = {"id": response_id, "object": "realtime.response", "status": status, "output": output,
            "conversation_id": conversation_id, "output_modalities": ["audio"]}
    if voice:
        body["audio"] = {"output": {"voice": voice}}
    return body


def learner_speech(item_id: str, previous_item_id: str | None, line: str, start_ms: int, end_ms: int) -> list[dict]:
    """What server VAD and input transcription send for one utterance of the learner."""
    return [
        event("input_audio_buffer.speech_started", audio_start_ms=start_ms, item_id=item_id),
        event("input_audio_buffer.speech_stopped", audio_end_ms=end_ms, item_id=item_id),
        event("input_audio_buffer.committed", item_id=item_id, previous_item_id=previous_item_id),
        event("conversation.item.added", item=user_message(item_id, transcript=None),
              previous_item_id=previous_item_id),
        event("conversation.item.input_audio_transcription.completed", item_id=item_id, content_index=0,
              transcript=line, usage={"type": "duration", "seconds": round((end_ms - start_ms) / 1000, 3)}),
        event("conversation.item.done", item=user_message(item_id, transcript=line),
              previous_item_id=previous_item_id),
    ]


def spoken_answer(response_id: str, item_id: str, index: int, words: str) -> list[dict]:
    """The coach's audio message: its transcript in deltas (the audio is on the track; its
    output_audio_buffer.stopped follows response.done once the tone has played)."""
    where = {"response_id": response_id, "item_id": item_id, "output_index": index, "content_index": 0}
    part = {"type": "audio", "transcript": ""}
    deltas = [word + (" " if n < len(words.split()) - 1 else "") for n, word in enumerate(words.split())]
    return [
        event("response.output_item.added", response_id=response_id, output_index=index,
              item=assistant_message(item_id, "", "in_progress")),
        event("conversation.item.added", item=assistant_message(item_id, "", "in_progress")),
        event("response.content_part.added", part=part, **where),
        event("output_audio_buffer.started", response_id=response_id),  # WebRTC: after the audio part
        *[event("response.output_audio_transcript.delta", delta=delta, **where) for delta in deltas],
        event("response.output_audio_transcript.done", transcript=words, **where),
        event("response.content_part.done", part={**part, "transcript": words}, **where),
        event("response.output_item.done", response_id=response_id, output_index=index,
              item=assistant_message(item_id, words)),
        event("conversation.item.done", item=assistant_message(item_id, words)),
    ]


def function_call_events(response_id: str, item: dict, index: int) -> list[dict]:
    where = {"response_id": response_id, "item_id": item["id"], "output_index": index,
             "call_id": item["call_id"]}
    in_progress = {**item, "status": "in_progress", "arguments": ""}
    return [
        event("response.output_item.added", response_id=response_id, output_index=index, item=in_progress),
        event("conversation.item.added", item=in_progress),
        event("response.function_call_arguments.delta", delta=item["arguments"], **where),
        event("response.function_call_arguments.done", arguments=item["arguments"], name=item["name"], **where),
        event("response.output_item.done", response_id=response_id, output_index=index, item=item),
        event("conversation.item.done", item=item),
    ]
