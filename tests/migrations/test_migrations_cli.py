"""`python -m migrations plan|backfill|verify` against a DynamoDB endpoint (a dynoxide of the
test's own, tables in the old shape): what an operator runs between the deploys of
docs/migrations.md, here with each deploy's table changes made by hand."""
from __future__ import annotations

import json

from apitest import T0, ApiClient, start_session
from migrations.__main__ import main
from migrations.live import add_index
from migrations.plan import release_steps
from speakpho.tables import SESSIONS, USAGE_PERIODS


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_plan_verify_backfill_between_deploys(old_shape, old_release_meters, clock, capsys, tmp_path):
    from local.gateway import Gateway

    client, names = old_shape
    endpoint = client.meta.endpoint_url
    clock.set(T0 - 600_000)
    start_session(ApiClient(Gateway()).as_user("lan", email="lan@example.com"), {"provider": "gemini"})
    assert old_release_meters(client, names, ["lan"]) == 1
    step = tmp_path / "steps" / "stack.json"

    code, out = _run(capsys, "verify", "--step", str(step), "--endpoint", endpoint)
    assert code == 0 and "inferred from the live tables" in out and "verify: ok" in out
    code, out = _run(capsys, "plan", "--step", str(step), "--write", "--endpoint", endpoint)
    assert code == 0 and "usage_periods: add active_by_sweep" in out and "sessions: add sessions_by_day_keys" in out
    assert json.loads(step.read_text()) == json.loads(release_steps()[0][1].to_json())

    code, out = _run(capsys, "verify", "--step", str(step), "--endpoint", endpoint)
    assert code == 1 and "drift: sessions" in out and "not deployed as the step says" in out

    add_index(client, names["usage_periods"], USAGE_PERIODS, "active_by_sweep")     # the deploy's changes
    add_index(client, names["sessions"], SESSIONS, "sessions_by_day_keys")
    code, out = _run(capsys, "verify", "--step", str(step), "--endpoint", endpoint)
    assert code == 0 and "active_by_sweep: 1 rows pending" in out
    code, out = _run(capsys, "plan", "--step", str(step), "--endpoint", endpoint)
    assert "usage_periods: backfill active_by_sweep (1 entries" in out and "sessions: add sessions_by_user_keys" in out

    code, out = _run(capsys, "backfill", "--endpoint", endpoint)
    assert code == 0 and "1 written" in out and "0 rows still pending" in out
    code, out = _run(capsys, "plan", "--step", str(step), "--endpoint", endpoint)
    assert "usage_periods: switch active_by_heartbeat" in out


def test_plan_does_not_write_over_a_step_not_deployed(old_shape, capsys, tmp_path):
    import pytest

    client, _ = old_shape
    step = tmp_path / "stack.json"
    step.write_text(release_steps()[0][1].to_json())     # written, not deployed
    with pytest.raises(SystemExit, match="deploy it first"):
        main(["plan", "--step", str(step), "--write", "--endpoint", client.meta.endpoint_url])
    assert json.loads(step.read_text()) == json.loads(release_steps()[0][1].to_json())
