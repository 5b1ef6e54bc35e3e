"""The deployed artifacts serve a learner's whole session on the Lambda runtime's Python.

Every other test runs our code on this machine's Python from the source tree. Here each
function runs as Lambda runs it (local/lambda_tree.py): the stack's layer and code assets
exactly as `cdk deploy` uploads them, CPython 3.12, no site-packages, the runtime's boto3,
one process per function that stays warm between invocations (tests/deployed/container.py),
against dynoxide. The same local gateway builds the API Gateway events and claims.

It catches what only the deployed form can get wrong: a dependency missing from the layer
or left to a runtime that does not ship it, code that needs another Python, a module that
would be compiled at every cold start.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

import own_loop
from apitest import ApiClient, data, fresh_tables
from dev_server import own_dynoxide
from infra import bytecode, layer_build, runtime
from infra.catalog import AREAS, ROLLUPS, SWEEPER
from local import lambda_tree
from local.gateway import Gateway

CONTAINER = Path(__file__).with_name("container.py")


class Container:
    """One function's process: started on first use, answering one invocation at a time."""

    def __init__(self, layout: lambda_tree.Layout, dotted: str, env: dict) -> None:
        self.dotted = dotted
        # The function's logs and metrics go to a file: a pipe nobody reads until the end
        # would fill up and stall the function mid-request.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            layout.command(str(CONTAINER), dotted, *[str(p) for p in layout.paths]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
            env=env, cwd=str(layout.cwd))
        self.init = self._read()
        assert self.init.get("ready"), self.init

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.log.seek(0)
            raise AssertionError(f"{self.dotted} exited:\n{self.log.read()[-4000:]}")
        return json.loads(line)

    def ask(self, request: dict) -> dict:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def __call__(self, event: dict, context=None):
        answer = self.ask({"event": event})
        if "error" in answer:
            raise AssertionError(f"{self.dotted} raised {answer['error']}\n{answer['traceback']}")
        return answer["result"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.log.close()


class DeployedGateway(Gateway):
    """The local API Gateway, calling each function's deployed container instead of an import."""

    def __init__(self, layout: lambda_tree.Layout, endpoint: str) -> None:
        super().__init__()
        self.layout, self.endpoint = layout, endpoint
        self.containers: dict[str, Container] = {}

    def handler_for(self, dotted: str):
        if dotted not in self.containers:
            name = "speakpho-" + dotted.rsplit(".", 1)[0].replace(".", "-")   # e.g. speakpho-session-sweeper
            env = lambda_tree.lambda_env(self.layout, name, DYNAMODB_ENDPOINT=self.endpoint)
            self.containers[dotted] = Container(self.layout, dotted, env)
        return self.containers[dotted]

    def close(self) -> None:
        for container in self.containers.values():
            container.close()


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    python = bytecode.interpreter()
    if python is None:
        pytest.skip(f"no CPython {runtime.PYTHON_VERSION} on this machine (infra/bytecode.py)")
    if not (layer_build.deps_dir().parent / layer_build.COMPLETE_MARKER).is_file():
        pytest.skip("layer dependencies not built yet (make builds them during set-up)")
    return lambda_tree.build(python, tmp_path_factory.mktemp("lambda"))["compiled"]


@pytest.fixture
def provider_world(monkeypatch):
    """What the deployed functions reach besides DynamoDB, as make dev has it (local/providers.py):
    Secrets Manager and Scheduler (a moto server on 127.0.0.1, reached through botocore's
    AWS_ENDPOINT_URL_<SERVICE>, so Powertools Parameters and the Scheduler client run their
    deployed code), and the fake providers. Every variable it sets is put back afterwards."""
    from moto.server import ThreadedMotoServer

    from local.dynoxide import free_port
    from local.providers import LocalProviders

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    for service in ("SECRETS_MANAGER", "SCHEDULER"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", f"http://127.0.0.1:{port}")
    saved = dict(os.environ)
    providers = LocalProviders()
    providers.provision()
    for name, value in os.environ.items():
        if saved.get(name) != value:
            monkeypatch.setenv(name, value)   # so that monkeypatch puts it back
    try:
        yield providers
    finally:
        providers.stop()
        server.stop()


@pytest.fixture
def deployed(layout, monkeypatch, provider_world):
    """The deployed assets on a dynoxide of their own: nothing of another test file in its
    tables for the sweeper to close, nor in its stream for the pump to deliver."""
    with own_dynoxide() as endpoint:
        monkeypatch.setenv("DYNAMODB_ENDPOINT", endpoint)
        yield from _deployed(layout, endpoint)


def _deployed(layout, endpoint):
    with fresh_tables() as client:
        gateway = DeployedGateway(layout, endpoint)
        try:
            yield gateway, client
        finally:
            gateway.close()


def hangup_schedules() -> list[str]:
    import botocore.session

    from local.providers import SCHEDULE_GROUP

    scheduler = botocore.session.get_session().create_client("scheduler", region_name="us-east-1")
    return [s["Name"] for s in scheduler.list_schedules(GroupName=SCHEDULE_GROUP)["Schedules"]]


async def offer() -> str:
    """A browser's WebRTC offer (aiortc, loopback candidates only)."""
    from local.fakes.browser_peer import browser_offer

    pc = await browser_offer()
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


def test_a_learners_session_runs_on_the_deployed_assets(deployed, provider_world):
    from local.streams import StreamPump

    gateway, client = deployed
    api = ApiClient(gateway)
    learner, other = f"learner-{uuid.uuid4().hex[:8]}", f"other-{uuid.uuid4().hex[:8]}"
    alice, bob, admin = api.as_user(learner), api.as_user(other), api.as_user("root", admin=True)

    # Session area: an idempotent start (the key's record in the start's transactions), heartbeat,
    # a provider switch, the end with transcript and corrections.
    # The provider keys come from Secrets Manager through Powertools Parameters (the runtime's boto3).
    providers = data(alice.get("/api/session/providers"))["providers"]
    assert [(p["id"], p["available"]) for p in providers] == [("gemini", True), ("openai", True)]
    first = alice.post("/api/session/start", {"topic": "food"}, headers={"Idempotency-Key": "deployed-1"})
    again = alice.post("/api/session/start", {"topic": "food"}, headers={"Idempotency-Key": "deployed-1"})
    assert first.status == 201 and again.json() == first.json()
    sid = first.json()["data"]["sessionId"]
    token = first.json()["data"]["providerAccess"]["token"]
    assert [t["token"] for t in provider_world.log()["tokens"]] == [token]   # minted once, at the fake
    assert data(alice.post("/api/session/heartbeat", {"sessionId": sid}))["limitReached"] is False
    assert data(alice.post("/api/session/switch-provider",
                           {"sessionId": sid, "provider": "openai", "disconnectCode": 1006}))["provider"] == "openai"
    # The OpenAI call: placed at the fake with a real offer, its hangup scheduled in Scheduler.
    call_id = data(alice.post("/api/session/connect", {"sessionId": sid, "sdp": own_loop.run(offer())}))["callId"]
    assert hangup_schedules() == [f"hangup-{sid}"]
    ended = data(alice.post("/api/session/end", {
        "sessionId": sid, "disconnectCode": 1000, "provider": "openai", "messageCount": 2,
        "messages": [{"role": "user", "text": "Tôi muốn ăn phở", "timestamp": 1},
                     {"role": "coach", "text": "Em muốn ăn phở", "timestamp": 2}],
        "corrections": [{"original": "Tôi muốn ăn phở", "correction": "Em muốn ăn phở",
                         "explanation": "Use 'em' with someone older", "category": "tone"}]}))
    assert ended["session"]["endReason"] == "user_ended" and ended["session"]["messageCount"] == 2
    assert [h["callId"] for h in provider_world.log()["hangups"]] == [call_id]   # hung up at the end
    assert hangup_schedules() == []                                               # and its schedule gone
    assert data(alice.get("/api/usage"))["activeSessionId"] is None

    # Learning area: history, the transcript, an FSRS review (fsrs from the layer) retried
    # with an Idempotency-Key.
    history = data(alice.get("/api/learning/history"))
    assert [s["id"] for s in history["sessions"]] == [sid]
    detail = data(alice.get(f"/api/learning/session/{sid}"))
    assert [m["text"] for m in detail["messages"]] == ["Tôi muốn ăn phở", "Em muốn ăn phở"]
    correction = detail["corrections"][0]
    path, key = f"/api/learning/corrections/{correction['id']}", {"Idempotency-Key": "review-1"}
    reviewed = alice.patch(path, {"confidenceLevel": 4}, headers=key)
    assert reviewed.status == 200 and reviewed.json()["data"]["nextReviewAt"] > 0
    assert alice.patch(path, {"confidenceLevel": 4}, headers=key).json() == reviewed.json()
    assert bob.get(f"/api/learning/session/{sid}").status == 404

    # The stream feeds the rollups function; admin reads the session, its stats and the CSV.
    StreamPump(gateway, client).drain()
    assert data(admin.get(f"/api/admin/sessions/{sid}"))["session"]["providerSwitched"] is True
    assert data(admin.get("/api/admin/sessions"))["stats"]["totalSessions"] >= 1
    export = admin.get("/api/admin/sessions/export.csv")
    assert export.status == 200 and sid in export.body
    assert bob.get("/api/admin/sessions").status == 403

    # The sweeper runs from the session area's asset too; the session ended, so nothing is stale.
    assert gateway.invoke(SWEEPER.handler, {"source": "aws.events"}, name="sweeper")["closed"] == []

    # Every function that ran: the runtime's Python, shipped bytecode only, nothing of this machine.
    ran = {dotted for dotted in gateway.containers}
    assert ran == {a.handler for a in AREAS} | {ROLLUPS.handler, SWEEPER.handler}
    for dotted, container in gateway.containers.items():
        report = container.ask({"report": True})
        assert report["python"].startswith(runtime.PYTHON_VERSION + "."), (dotted, report)
        assert report["modules"] > 100, (dotted, report)
        assert report["source_only"] == [], (dotted, report["source_only"])
        assert report["foreign"] == [], (dotted, report["foreign"])
