"""The latency the learners felt, for admins: what a session's latency adds to its rollup
cell, the stats summed from cells, and a session's own figures. Pure functions.

A session's end records {provider: {turns, p50Ms, p95Ms, histogram, firstAudioMs?}}
(speakpho.latency, speakpho.metering.end). Its cell gets, per provider and bucket index i:
  lat_<provider>_<i>   turns whose latency fell in bucket i (the histogram, zeros left out)
  fa_<provider>_<i>    1 when the firstAudioMs falls in bucket i (a one-sample histogram)
so the cells of a range add up to the range's histograms, and its percentiles cost no read
more than the stats already make. turns is the histogram's sum (an end's histogram adds up to
its turns), so it is not stored twice. Providers are bounded (speakpho.enums.PROVIDERS, else
"other"), indexes by HISTOGRAM_LENGTH: at most 2 x 12 x 2 counters per cell.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from speakpho.enums import PROVIDERS
from speakpho.latency import HISTOGRAM_LENGTH, bucket_index, percentile

from admin.health.reliability import provider_key

if TYPE_CHECKING:
    from admin.health.cells import Cell

TURNS = "lat_"            # lat_<provider>_<bucket index>
FIRST_AUDIO = "fa_"       # fa_<provider>_<bucket index>


def _stored(session: dict) -> dict:
    latency = session.get("latency")
    return latency if isinstance(latency, dict) else {}


def latency_counters(session: dict) -> dict[str, int]:
    """What a session's recorded latency adds to its cell (zeros left out)."""
    counters: dict[str, int] = {}
    for provider, figures in _stored(session).items():
        key = provider_key(provider)
        for i, count in enumerate((figures.get("histogram") or [])[:HISTOGRAM_LENGTH]):
            if int(count):
                name = f"{TURNS}{key}_{i}"
                counters[name] = counters.get(name, 0) + int(count)
        if figures.get("firstAudioMs") is not None:
            name = f"{FIRST_AUDIO}{key}_{bucket_index(int(figures['firstAudioMs']))}"
            counters[name] = counters.get(name, 0) + 1
    return counters


def _histograms(cells: Iterable[Cell], prefix: str) -> dict[str, list[int]]:
    """{provider: the summed histogram} of the counters named prefix + provider_index."""
    sums: dict[str, list[int]] = {}
    for cell in cells:
        for name, value in cell.values.items():
            if not name.startswith(prefix) or not value:
                continue
            provider, _, index = name[len(prefix):].rpartition("_")
            if index.isdigit() and int(index) < HISTOGRAM_LENGTH:
                sums.setdefault(provider, [0] * HISTOGRAM_LENGTH)[int(index)] += int(value)
    return sums


def _figures(histogram: list[int]) -> dict:
    return {"p50Ms": percentile(histogram, 50), "p95Ms": percentile(histogram, 95)}


def provider_latency(cells: Iterable[Cell]) -> dict:
    """{provider: {turns, p50Ms, p95Ms, firstAudio: {sessions, p50Ms, p95Ms}}}: gemini and
    openai always, another provider key only with counts. A percentile is a bucket's upper
    bound (speakpho.latency.percentile); null without turns, or above the last bound."""
    cells = list(cells)
    turns, first = _histograms(cells, TURNS), _histograms(cells, FIRST_AUDIO)
    view = {}
    for provider in [*PROVIDERS, *sorted((set(turns) | set(first)) - set(PROVIDERS))]:
        histogram = turns.get(provider, [0] * HISTOGRAM_LENGTH)
        first_audio = first.get(provider, [0] * HISTOGRAM_LENGTH)
        view[provider] = {"turns": sum(histogram), **_figures(histogram),
                          "firstAudio": {"sessions": sum(first_audio), **_figures(first_audio)}}
    return view


def session_latency(session: dict) -> dict | None:
    """A session's own figures as its end reported them ({provider: {turns, p50Ms, p95Ms,
    firstAudioMs?}}), or None when its end reported none."""
    stored = _stored(session)
    if not stored:
        return None
    return {provider: {name: int(figures[name]) for name in ("turns", "p50Ms", "p95Ms", "firstAudioMs")
                       if figures.get(name) is not None}
            for provider, figures in stored.items()}
