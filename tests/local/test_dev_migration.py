"""`make dev` on a data file written by the release before this one: the runner migrates the
indexes in place before it serves (docs/migrations.md) and turns on a stream the file's table
lacks, so no `make dev-reset` is needed; the learner's history and the live meter are read
through the new indexes."""
from __future__ import annotations

import boto3

from apitest import T0, ApiClient, end_session, http_call, start_session
from local import dynoxide, tokens
from test_dev_data import Server


def _old_release_file(db_path, monkeypatch) -> tuple[str, str]:
    """A data file with the tables in the old shape (the corrections table from before its
    stream), one ended session and one live meter without activeSweepAt, as the release before
    left them. Returns (ended, live) session ids."""
    from dataclasses import replace

    from migrations.plan import previous_spec
    from speakpho import deps
    from speakpho.aws import dynamodb_client
    from speakpho.clock import clock
    from speakpho.table_setup import table_name
    from speakpho.table_requests import create_table_request
    from speakpho.tables import TABLES

    db_path.parent.mkdir(parents=True)
    engine, endpoint = dynoxide.start(db_path=db_path)
    try:
        monkeypatch.setenv("DYNAMODB_ENDPOINT", endpoint)
        deps.reset()
        client = dynamodb_client()
        for spec in TABLES:
            old = previous_spec(spec)
            if spec.logical_name == "corrections":
                old = replace(old, stream=False)
            client.create_table(**create_table_request(old, table_name(spec)))
        from local.gateway import Gateway

        lan = ApiClient(Gateway()).as_user("lan", email="lan@example.com")
        clock.set(T0 - 3_600_000)
        ended = start_session(lan, {"mode": "coach", "provider": "gemini"})["sessionId"]
        clock.advance(120)
        end_session(lan, ended, disconnectCode=1000)
        live = start_session(lan, {"mode": "coach", "provider": "gemini"})["sessionId"]
        client.update_item(TableName=table_name(TABLES[0]), Key={"userId": {"S": "lan"}, "period": {"S": "2026-11"}},
                           UpdateExpression="REMOVE activeSweepAt")
        return ended, live
    finally:
        clock.set(None)
        deps.reset()
        engine.terminate()
        engine.wait(timeout=5)


def test_make_dev_migrates_the_indexes_of_an_earlier_release(tmp_path, monkeypatch, providers):
    from speakpho.tables import TABLES

    db_path = tmp_path / "data" / "dynamodb.db"
    ended, live = _old_release_file(db_path, monkeypatch)
    server = Server(db_path, tmp_path / "server.log").wait_ready()
    try:
        assert "index migration: usage_periods: add active_by_sweep" in server.output()
        assert "tables migrated in place: 10 steps" in server.output() and "tables created:" not in server.output()
        status, history = http_call(server.base, "GET", "/api/learning/history", token=tokens.mint("lan"))
        assert status == 200, history
        assert [s["id"] for s in history["data"]["sessions"]] == [live, ended]
        engine = boto3.client("dynamodb", endpoint_url=server.engine, region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local")
        for spec in TABLES:
            described = engine.describe_table(TableName=spec.logical_name)["Table"]
            assert {g["IndexName"] for g in described.get("GlobalSecondaryIndexes", [])} == \
                {i.name for i in spec.indexes}, spec.logical_name
            assert bool(described.get("StreamSpecification", {}).get("StreamEnabled")) == spec.stream
        row = engine.get_item(TableName="usage_periods", Key={"userId": {"S": "lan"}, "period": {"S": "2026-11"}},
                              ConsistentRead=True)["Item"]
        assert row["activeSessionId"]["S"] == live and "activeSweepAt" in row
    finally:
        server.stop()
    again = Server(db_path, tmp_path / "again.log").wait_ready()     # a second start has nothing to do
    try:
        assert "index migration" not in again.output() and "migrated in place" not in again.output()
    finally:
        again.stop()
