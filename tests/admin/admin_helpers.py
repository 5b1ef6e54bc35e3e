"""Plain helpers of the admin tests: a known dataset of sessions created through the real
API over several days, and stream records as the event source mapping delivers them.
Fixtures are in conftest.py; the session helpers and the request counter are apitest's."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from apitest import data, end_session, start_session, switch_provider


def at(day: str, hour: int, minute: int = 0) -> int:
    """Epoch ms of a UTC day and time."""
    y, m, d = (int(p) for p in day.split("-"))
    return int(datetime(y, m, d, hour, minute, tzinfo=timezone.utc).timestamp() * 1000)


def user(api, name: str):
    return api.as_user(name, email=f"{name}@example.com")


# build_dataset's sessions, newest first, and its whole range.
NEWEST_FIRST = ["s8", "s9", "s7", "s6", "s5", "s4", "s3", "s2", "s1"]
FULL = "from=2026-10-31&to=2026-11-10"


def names(ids: dict, sessions: list[dict]) -> list[str]:
    """The dataset's names of the rows' ids."""
    by_id = {v: k for k, v in ids.items()}
    return [by_id[s["id"]] for s in sessions]


def build_dataset(api, clock, pump) -> dict[str, str]:
    """Nine sessions over 2026-10-31 .. 2026-11-10, created through the API. Returns name ->
    session id.

    id  start (UTC)        user   mode   provider (initial -> final)   seconds  close  endReason      endedBy
    s1  2026-10-31 10:00   alice  coach  gemini                           120   1000   user_ended     learner
    s2  2026-11-05 09:00   bob    free   gemini -> openai (1 switch)      240   1006   disconnect     network
    s3  2026-11-05 15:00   alice  coach  gemini                            60   -      user_ended     learner
    s4  2026-11-07 08:00   carol  coach  openai                           300   1006   disconnect     network
    s5  2026-11-07 20:00   bob    coach  gemini -> openai -> gemini (2)   180   1000   user_ended     learner
    s6  2026-11-09 10:00   dave   free   gemini (60 s allowance)          120   1011   limit_reached  limit
    s7  2026-11-09 18:00   carol  free   gemini (swept, last beat +90s)    90   -      timeout        client_vanished
    s9  2026-11-10 10:00   erin   coach  gemini                           600   1001   disconnect     network
    s8  2026-11-10 11:00   alice  free   gemini                          active
    Switch causes: s2 1011; s5 1011 then none. No client events: no failures, no credit (the
    story's own scenario is in test_admin_story.py). Days 11-04, 11-06 and 11-08 have no
    sessions. The clock ends at T0 = 2026-11-10 12:00.
    """
    from infra.catalog import SWEEPER

    alice, bob, carol, dave, erin = (user(api, n) for n in ("alice", "bob", "carol", "dave", "erin"))
    root = api.as_user("root", admin=True, email="root@example.com")
    ids: dict[str, str] = {}

    clock.set(at("2026-10-31", 10))
    ids["s1"] = start_session(alice, {"mode": "coach", "provider": "gemini"})["sessionId"]
    clock.advance(120)
    end_session(alice, ids["s1"], disconnectCode=1000, disconnectReason="Normal closure")

    clock.set(at("2026-11-05", 9))
    ids["s2"] = start_session(bob, {"mode": "free", "provider": "gemini"})["sessionId"]
    clock.advance(100)
    switch_provider(bob, ids["s2"], "openai", 1011)
    clock.advance(140)
    end_session(bob, ids["s2"], provider="openai", disconnectCode=1006, disconnectReason="Abnormal closure")

    clock.set(at("2026-11-05", 15))
    ids["s3"] = start_session(alice, {"mode": "coach", "provider": "gemini"})["sessionId"]
    clock.advance(60)
    end_session(alice, ids["s3"], messages=[
        {"role": "user", "text": "Toi muon mua ca phe", "timestamp": at("2026-11-05", 15) + 10_000},
        {"role": "coach", "text": "Tôi muốn mua cà phê.", "timestamp": at("2026-11-05", 15) + 20_000},
    ], corrections=[{"original": "Toi", "correction": "Tôi", "explanation": "tone marks", "category": "tone"}])

    clock.set(at("2026-11-07", 8))
    ids["s4"] = start_session(carol, {"mode": "coach", "provider": "openai"})["sessionId"]
    clock.advance(300)
    end_session(carol, ids["s4"], disconnectCode=1006)

    clock.set(at("2026-11-07", 20))
    ids["s5"] = start_session(bob, {"mode": "coach", "provider": "gemini"})["sessionId"]
    clock.advance(60)
    switch_provider(bob, ids["s5"], "openai", 1011)
    clock.advance(60)
    switch_provider(bob, ids["s5"], "gemini")
    clock.advance(60)
    end_session(bob, ids["s5"], provider="gemini", disconnectCode=1000)

    clock.set(at("2026-11-09", 10))
    data(root.put("/api/admin/users/dave/allowance", {"secondsLimit": 60, "reason": "test cap"}))
    ids["s6"] = start_session(dave, {"mode": "free", "provider": "gemini"})["sessionId"]
    clock.advance(120)
    end_session(dave, ids["s6"], disconnectCode=1011, disconnectReason="Server error")

    clock.set(at("2026-11-09", 18))
    ids["s7"] = start_session(carol, {"mode": "free", "provider": "gemini"})["sessionId"]
    clock.advance(90)
    data(carol.post("/api/session/heartbeat", {"sessionId": ids["s7"]}))
    clock.advance(210)   # 18:05, her sweep deadline: 90 s + the 180 s stale window, rounded up to 300 s
    api.gateway.invoke(SWEEPER.handler, {"source": "test"}, name="sweeper")

    clock.set(at("2026-11-10", 10))
    ids["s9"] = start_session(erin, {"mode": "coach", "provider": "gemini"})["sessionId"]
    clock.advance(600)
    end_session(erin, ids["s9"], disconnectCode=1001)

    clock.set(at("2026-11-10", 11))
    ids["s8"] = start_session(alice, {"mode": "free", "provider": "gemini"})["sessionId"]   # still active

    clock.set(at("2026-11-10", 12))              # = T0
    pump.drain()
    return ids


class Dataset:
    def __init__(self, api, ids: dict[str, str], client, pump) -> None:
        self.api, self.ids, self.client, self.pump = api, ids, client, pump


def dataset_environment(build=build_dataset):
    """A module-scoped moto stack holding `build`'s sessions (build_dataset's by default; same
    setup as the `dynamodb` fixture), for tests that only read; yields a Dataset."""
    from moto import mock_aws

    from apitest import T0, ApiClient, fresh_tables
    from local.gateway import Gateway
    from local.streams import StreamPump
    from provider_fakes import fake_ports
    from speakpho import deps
    from speakpho.clock import clock

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DYNAMODB_ENDPOINT", raising=False)
        with mock_aws(), fresh_tables() as client:
            gateway = Gateway()
            api = ApiClient(gateway)
            clock.set(T0)
            deps.use_provider_ports(fake_ports())   # the starts need provider keys (conftest's `providers`)
            stream_pump = StreamPump(gateway, client)
            try:
                yield Dataset(api, build(api, clock, stream_pump), client, stream_pump)
            finally:
                deps.use_provider_ports(None)
                clock.set(None)


def stream_record(*, old_image: dict | None, new_image: dict | None, sequence_number: str | int,
                  event_source_arn: str = "arn:aws:dynamodb:local:000000000000:table/sessions/stream/local") -> dict:
    """A stream record as the event source mapping delivers it, from plain session dicts
    (the local runner forwards the stream's own records)."""
    from speakpho import ddb

    image = new_image or old_image or {}
    event_name = "INSERT" if old_image is None else ("REMOVE" if new_image is None else "MODIFY")
    change = {
        "ApproximateCreationDateTime": 0,
        "Keys": ddb.serialize({"sessionId": image.get("sessionId")}),
        "SequenceNumber": str(sequence_number),
        "SizeBytes": 1,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new_image is not None:
        change["NewImage"] = ddb.serialize(new_image)
    if old_image is not None:
        change["OldImage"] = ddb.serialize(old_image)
    return {"eventID": f"local-{sequence_number}", "eventName": event_name, "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "local", "dynamodb": change,
            "eventSourceARN": event_source_arn}
