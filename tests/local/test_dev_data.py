"""`make dev` keeps its data: `python -m local.server` with DEV_DB_PATH (what `make dev` sets,
.data/dynamodb.db) runs a dynoxide on that file; a session written before a restart is read
back after it, the rollups are not fed the same records again, and a second server on the
same file is refused."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from apitest import http_call, listening
from dev_server import DevServer
from local import tokens

MESSAGES = [{"role": "user", "text": "Xin chào, tôi là Lan", "timestamp": 1},
            {"role": "coach", "text": "Chào Lan! Hôm nay bạn muốn nói về gì?", "timestamp": 2}]






class Server(DevServer):
    """The local runner with DEV_DB_PATH=db_path, as `make dev` runs it; ready once it prints
    its banner (the dynoxide on the file is up)."""

    def __init__(self, db_path: Path, log: Path) -> None:
        super().__init__(log, DEV_DB_PATH=str(db_path))

    def wait_ready(self, timeout: float = 60) -> "Server":
        return self.wait_for_output("token: make token", timeout)

    @property
    def engine(self) -> str:
        return re.search(r"DynamoDB: (http://\S+)", self.output()).group(1)


def _total_sessions(base: str, admin: str) -> int:
    status, answer = http_call(base, "GET", "/api/admin/sessions", token=admin)
    assert status == 200, answer
    return answer["data"]["stats"]["totalSessions"]


def test_data_outlive_a_restart_of_make_dev(tmp_path):
    db_path = tmp_path / "data" / "dynamodb.db"      # the folder does not exist yet
    learner, admin = tokens.mint("persistent-lan"), tokens.mint("root", groups=["admin"])

    first = Server(db_path, tmp_path / "first.log").wait_ready()
    try:
        assert f"(dynoxide on {db_path})" in first.output() and "tables created:" in first.output()
        assert f"data kept in {db_path}" in first.output()
        status, started = http_call(first.base, "POST", "/api/session/start", {"topic": "food"}, token=learner)
        assert status == 201, started
        session_id = started["data"]["sessionId"]
        http_call(first.base, "POST", "/local/clock", {"advanceSeconds": 45})
        moved_to = http_call(first.base, "POST", "/local/clock", {"advanceSeconds": 0})[1]["data"]["now"]
        status, ended = http_call(first.base, "POST", "/api/session/end",
                              {"sessionId": session_id, "messages": MESSAGES,
                               "corrections": [{"original": "tôi là", "correction": "em là", "category": "grammar"}]},
                              token=learner)
        assert status == 200, ended
        deadline = time.monotonic() + 10
        while _total_sessions(first.base, admin) != 1:    # the stream pump fed the rollups
            assert time.monotonic() < deadline, "rollups did not count the session"
            time.sleep(0.2)

        # A second server on the same file is refused (two engines on one SQLite file would diverge).
        second = Server(db_path, tmp_path / "second.log")
        assert second.proc.wait(timeout=60) != 0
        assert "another make dev is using" in second.output()
        assert http_call(first.base, "GET", "/api/usage", token=learner)[0] == 200
    finally:
        first.stop()
    deadline = time.monotonic() + 5
    while listening(first.engine) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not listening(first.engine), "the dynoxide outlived the runner"
    positions = json.loads(db_path.with_name("dynamodb.db.streams.json").read_text())
    assert len(positions) == 1 and all(positions.values())    # one stream, its shards' last records

    again = Server(db_path, tmp_path / "again.log").wait_ready()
    try:
        assert "tables created:" not in again.output()
        # The dev clock goes on from its offset (what was due on the moved clock stays due).
        assert "dev clock: 0.8 min ahead of the real time" in again.output()
        now_again = http_call(again.base, "POST", "/local/clock", {"advanceSeconds": 0})[1]["data"]["now"]
        assert now_again - moved_to >= 0 and abs((now_again - int(time.time() * 1000)) - 45_000) < 5_000
        status, detail = http_call(again.base, "GET", f"/api/learning/session/{session_id}", token=learner)
        assert status == 200, detail
        assert detail["data"]["messages"] == MESSAGES and detail["data"]["session"]["secondsUsed"] == 45
        assert detail["data"]["corrections"][0]["correction"] == "em là"
        status, usage = http_call(again.base, "GET", "/api/usage", token=learner)
        assert usage["data"]["secondsUsed"] == 45 and usage["data"]["activeSessionId"] is None
        assert _total_sessions(again.base, admin) == 1
        # Deleting the conversation works on the file too; its usage stays.
        status, deleted = http_call(again.base, "DELETE", f"/api/learning/session/{session_id}", token=learner)
        assert (status, deleted["data"]) == (200, {"sessionId": session_id, "messagesDeleted": 2,
                                                   "correctionsDeleted": 1})
        status, listed = http_call(again.base, "GET", "/api/learning/history", token=learner)
        assert listed["data"]["pagination"]["total"] == 0
        assert http_call(again.base, "GET", "/api/usage", token=learner)[1]["data"]["secondsUsed"] == 45
    finally:
        again.stop()


def test_the_stream_pump_goes_on_from_its_saved_positions(dynoxide_endpoint, monkeypatch, tmp_path, clock, providers):
    """In-process on dynoxide: a pump made again with the same positions file hands over only
    what is new; without the file it would feed the whole stream to the rollups again."""
    from apitest import ApiClient, fresh_tables, start_session
    from local.gateway import Gateway
    from local.streams import StreamPump

    monkeypatch.setenv("DYNAMODB_ENDPOINT", dynoxide_endpoint)
    positions = tmp_path / "dynamodb.db.streams.json"
    with fresh_tables() as client:
        gateway = Gateway()
        learner = ApiClient(gateway).as_user(f"pump-{time.monotonic_ns()}")
        start_session(learner)
        first = StreamPump(gateway, client, positions_file=positions)
        assert first.drain() >= 1          # whatever the stream holds, this session's record included
        first.stop()
        assert StreamPump(gateway, client, positions_file=positions).drain() == 0
        start_session(learner)             # closes the first as stale and starts another: new records
        again = StreamPump(gateway, client, positions_file=positions)
        assert again.drain() == 2 and again.drain() == 0
        assert StreamPump(gateway, client).drain() >= 3    # no file: from the oldest record kept
