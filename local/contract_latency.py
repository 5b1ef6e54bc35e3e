"""The contract's shapes of the latency the learners felt (speakpho.latency,
admin.health.latency): a session's own figures and the stats' percentiles per provider.
local/contract.py uses them in the admin answers."""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import BaseModel, Field

Count = Annotated[int, Field(ge=0)]
Ms = Annotated[int, Field(ge=0, description="milliseconds")]
BUCKET_BOUND = ("the upper bound (ms) of the bucket holding the percentile, read from the summed histograms "
                "(speakpho.latency.percentile); null without turns, or when it lies above 5000 ms")


class SessionProviderLatency(BaseModel):
    # admin.health.latency.session_latency: as the session's end reported it.
    turns: Count
    p50Ms: Ms = Field(description="the browser's own p50 over the session's turns")
    p95Ms: Ms = Field(description="the browser's own p95 over the session's turns")
    firstAudioMs: Optional[Ms] = Field(default=None, description="from connecting to the coach's first audio")


class FirstAudioStats(BaseModel):
    sessions: Count = Field(description="sessions that reported a firstAudioMs on this provider")
    p50Ms: Optional[Ms] = Field(description=BUCKET_BOUND)
    p95Ms: Optional[Ms] = Field(description=BUCKET_BOUND)


class ProviderLatencyStats(BaseModel):
    # admin.health.latency.provider_latency: per turn, from the end of the learner's speech to
    # the coach's first audio.
    turns: Count
    p50Ms: Optional[Ms] = Field(description=BUCKET_BOUND)
    p95Ms: Optional[Ms] = Field(description=BUCKET_BOUND)
    firstAudio: FirstAudioStats
