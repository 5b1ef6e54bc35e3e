"""Audio for the fake OpenAI Realtime call (and the tests' WebRTC learner): a voice out, an ear in.

ToneTrack: a 400 Hz tone while it "speaks", silence otherwise (aiortc's AudioStreamTrack paces
20 ms frames of 8 kHz mono s16; the Opus encoder takes them from there).
AudioMeter: counts every decoded frame of a received track (bytes of PCM: the fake's
`audioBytesIn`) and its loud part, a crude energy VAD standing in for server_vad: each second
of loud audio is one utterance (silence never speaks).
"""
from __future__ import annotations

import asyncio
import math
import time
from array import array
from typing import Callable

from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack

TONE_HZ = 400
TONE_RATE = 8000
TONE = array("h", [int(6000 * math.sin(2 * math.pi * TONE_HZ * n / TONE_RATE)) for n in range(160)]).tobytes()
LOUD_PEAK = 1000          # of 32767: a tone is loud, silence (and Opus's comfort noise) is not
UTTERANCE_MS = 1000       # loud audio that makes one learner utterance


class ToneTrack(AudioStreamTrack):
    def __init__(self) -> None:
        super().__init__()
        self.speaking_until = 0.0

    def speak(self, seconds: float) -> float:
        """Tone for `seconds` more (after what is still playing); the seconds until it stops."""
        now = time.time()
        self.speaking_until = max(self.speaking_until, now) + seconds
        return self.speaking_until - now

    async def recv(self):
        frame = await super().recv()
        if time.time() < self.speaking_until:
            plane = frame.planes[0]
            plane.update(TONE[:plane.buffer_size].ljust(plane.buffer_size, b"\0"))
        return frame


class AudioMeter:
    """Counts a track's audio and calls `on_utterance(start_ms, end_ms)` per second of loud audio."""

    def __init__(self, on_utterance: Callable[[int, int], None] | None = None) -> None:
        self.on_utterance = on_utterance
        self.bytes_in = 0
        self.frames_in = 0
        self.heard_ms = 0.0
        self.loud_ms = 0.0
        self.speech_ms = 0.0
        self.task: asyncio.Task | None = None

    def listen(self, track: MediaStreamTrack) -> None:
        self.task = asyncio.ensure_future(self._listen(track))

    def stop(self) -> None:
        if self.task:
            self.task.cancel()

    async def _listen(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            size = frame.samples * len(frame.layout.channels) * frame.format.bytes
            self.bytes_in += size
            self.frames_in += 1
            ms = 1000 * frame.samples / frame.sample_rate
            self.heard_ms += ms
            samples = array("h", bytes(frame.planes[0])[:size]) if frame.format.name == "s16" else []
            if max(map(abs, samples), default=0) > LOUD_PEAK:
                self.loud_ms += ms
                self.speech_ms += ms
                if self.speech_ms >= UTTERANCE_MS and self.on_utterance:
                    self.speech_ms = 0.0
                    self.on_utterance(int(self.heard_ms - UTTERANCE_MS), int(self.heard_ms))
