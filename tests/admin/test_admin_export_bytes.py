"""The CSV export's byte cap (admin/health/export.py, setting `export_max_bytes`): what counts
against Lambda's 6 MB is the body as the runtime writes it in the JSON response (UTF-8,
unescaped non-ASCII, `"` and line ends escaped), not its characters. Sessions full of emoji
(4 bytes in UTF-8) and `"` (doubled by CSV, escaped again by JSON) weigh about three times
their characters."""
from __future__ import annotations

import csv
import io
import json

import pytest

from admin_helpers import dataset_environment
from apitest import end_session, start_session

LEARNERS = 8
QUERY = "from=2026-11-10&to=2026-11-10"
SMALL_CAP = 11_000   # 3 rows in the response; 4 would fit in plain UTF-8


def heavy_sessions(api, clock, pump) -> dict[str, str]:
    """LEARNERS ended sessions, one per learner: an emoji email, a topic of 200 emoji and a
    disconnect reason of 500 characters, half `"`, half emoji."""
    ids = {}
    for n in range(LEARNERS):
        learner = api.as_user(f"heavy{n}", email=f"{'😀' * 20}{n}@example.com")
        ids[f"heavy{n}"] = start_session(learner, {"mode": "coach", "topic": "🍜" * 200})["sessionId"]
        clock.advance(30)
        end_session(learner, ids[f"heavy{n}"], disconnectCode=1000, disconnectReason='"🎉' * 250)
    pump.drain()
    return ids


@pytest.fixture(scope="module")
def dataset():
    """This module's sessions (conftest's dataset_admin reads them)."""
    yield from dataset_environment(heavy_sessions)


@pytest.fixture
def export_cap(monkeypatch):
    """Sets the setting export_max_bytes (EXPORT_MAX_BYTES) for this test."""
    from speakpho.config import reset_settings

    def set_cap(cap: int) -> None:
        monkeypatch.setenv("EXPORT_MAX_BYTES", str(cap))
        reset_settings()

    yield set_cap
    reset_settings()   # before monkeypatch restores the environment: the next read takes the default


def weight(text: str) -> int:
    """The body's bytes in the Lambda's JSON response (the python3.12 runtime: ensure_ascii=False)."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2


def export(dataset_admin, query: str = QUERY):
    response = dataset_admin.get("/api/admin/sessions/export.csv", query=query)
    assert response.status == 200, response.body
    return response, {k.lower(): v for k, v in response.headers.items()}


def test_an_export_under_the_cap_is_complete(dataset_admin, dataset, export_cap):
    export_cap(SMALL_CAP)
    response, headers = export(dataset_admin, f"{QUERY}&userId=heavy3")
    assert (headers["x-export-rows"], headers["x-export-truncated"]) == ("1", "false")
    assert "x-export-note" not in headers
    [row] = list(csv.DictReader(io.StringIO(response.body)))
    assert row["id"] == dataset.ids["heavy3"]
    assert (row["topic"], row["disconnectReason"]) == ("🍜" * 200, '"🎉' * 250)
    assert row["userEmail"] == "😀" * 20 + "3@example.com"
    assert weight(response.body) <= SMALL_CAP


def test_an_export_stops_at_the_cap_in_bytes_and_says_so(dataset_admin, dataset, export_cap):
    full, full_headers = export(dataset_admin)                                  # the default cap: all of them
    assert (full_headers["x-export-rows"], full_headers["x-export-truncated"]) == (str(LEARNERS), "false")
    lines = full.body.splitlines(keepends=True)
    assert len(lines) == 1 + LEARNERS
    row_weight = weight(lines[1])
    # Why characters were the wrong measure: a row weighs about three times its characters.
    assert len(lines[1]) < SMALL_CAP // 4 < row_weight < SMALL_CAP // 3
    assert weight(full.body) > SMALL_CAP > len(full.body)

    export_cap(SMALL_CAP)
    capped, headers = export(dataset_admin)
    fitting = max(k for k in range(LEARNERS + 1) if weight("".join(lines[:1 + k])) <= SMALL_CAP)
    assert 0 < fitting < LEARNERS
    assert len("".join(lines[:2 + fitting]).encode("utf-8")) <= SMALL_CAP   # the JSON escapes count too
    assert weight(capped.body) <= SMALL_CAP and len(capped.body.encode("utf-8")) <= SMALL_CAP
    assert capped.body == "".join(lines[:1 + fitting])                  # whole rows, newest first, none skipped
    assert (headers["x-export-rows"], headers["x-export-truncated"]) == (str(fitting), "true")
    assert f"stopped after {fitting} rows" in headers["x-export-note"]
    assert f"{SMALL_CAP} bytes" in headers["x-export-note"]
