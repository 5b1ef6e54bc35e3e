"""The dev backend behind `make dev`: DynamoDB, the local API Gateway calling the deployed
handlers, and the background jobs the stack runs in AWS (the sessions stream feeding the
rollups, the erasure queue's worker).

Which DynamoDB, first match wins:
  DYNAMODB_ENDPOINT=<url>  that endpoint, with any missing tables created there;
  DEV_DB_PATH=<file>       a dynoxide started here on that SQLite file, so the data outlive a
                           restart (`make dev` sets .data/dynamodb.db; MEMORY=1 leaves it unset).
                           The stream pump keeps its positions next to it (<file>.streams.json)
                           and a lock (<file>.lock) keeps a second server off the same file;
  FAULTS=<rate>            an in-memory dynoxide (the fault proxy needs an endpoint);
  otherwise                embedded moto, in memory (what the tests' `python -m local.server` get).

With FAULTS=<rate> (and optionally FAULT_SEED=<n>) the handlers reach that DynamoDB through
local/fault_proxy.py (moto runs in-process, so there is nothing to put a proxy in front
of: FAULTS then uses an in-memory dynoxide). See docs/reliability.md.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

LOCAL_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
    "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "SpeakPho", "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def prepare_environment() -> None:
    """Credentials and Powertools settings for a local process (what is already set wins),
    and the layer and functions on sys.path."""
    for key, value in LOCAL_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    from infra.catalog import ensure_import_paths

    ensure_import_paths()


def fault_settings() -> tuple[float, int] | None:
    """(rate, seed) from FAULTS and FAULT_SEED; None when FAULTS is unset. A missing seed is drawn."""
    raw = os.environ.get("FAULTS", "").strip()
    if not raw:
        return None
    try:
        rate = float(raw)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"FAULTS must be a fault rate between 0 and 1 (e.g. 0.3), not {raw!r}")
    seed = os.environ.get("FAULT_SEED", "").strip()
    if seed and not seed.lstrip("-").isdigit():
        raise ValueError(f"FAULT_SEED must be an integer, not {seed!r}")
    return rate, int(seed) if seed else random.SystemRandom().randrange(1_000_000)


def dev_db_path() -> Path | None:
    """DEV_DB_PATH as an absolute path; None when unset (or DYNAMODB_ENDPOINT wins)."""
    raw = os.environ.get("DEV_DB_PATH", "").strip()
    if not raw or os.environ.get("DYNAMODB_ENDPOINT"):
        return None
    return Path(raw).expanduser().resolve()


class DataInUse(RuntimeError):
    pass


def _lock(db_path: Path):
    """Holds <file>.lock for the server's lifetime: two engines on one SQLite file would each
    cache their own view of it. Raises DataInUse when another server holds it."""
    import fcntl

    handle = open(db_path.with_name(db_path.name + ".lock"), "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise DataInUse(f"another make dev is using {db_path} (stop it, or set DEV_DB_PATH or MEMORY=1)") from None
    return handle


class DevBackend:
    """The embedded backend: DynamoDB (moto, a dynoxide, or an endpoint), the gateway, background jobs."""

    def __init__(self) -> None:
        prepare_environment()
        self._mock = None
        self._engine = None     # a dynoxide started here (data file, or for the fault proxy)
        self._lock = None
        self.faults = None      # the FaultProxy, when FAULTS is set
        self.db_path = dev_db_path()
        self.upstream = os.environ.get("DYNAMODB_ENDPOINT") or None   # what the handlers reach, proxy aside
        faults = fault_settings()
        if self.db_path or (faults and not self.upstream):
            self._start_engine()
        if faults:
            self._start_fault_proxy(*faults)
        from local.providers import LocalProviders

        self.providers = LocalProviders()
        # moto in process: DynamoDB when no endpoint is set (a request to an endpoint passes
        # through it), and always Secrets Manager and Scheduler (the provider keys, the hangups).
        from moto import mock_aws

        self._mock = mock_aws()
        self._mock.start()
        self.providers.provision()
        from local.gateway import Gateway
        from local.streams import StreamPump
        from speakpho import deps
        from speakpho.aws import dynamodb_client
        from speakpho.table_setup import create_missing_tables

        deps.reset()
        from local.dev_clock import DevClockOffset

        self.dev_clock = DevClockOffset.beside(self.db_path)
        self.dev_clock.restore()      # before the jobs: they read the clock from their first run
        self.client = dynamodb_client()
        self.created_tables = create_missing_tables(self.client)
        self.migrated = self._migrate_tables()
        self.gateway = Gateway()
        # The sessions table's stream feeds the rollup processor, as the deployed event source
        # mapping does.
        positions = self.db_path.with_name(self.db_path.name + ".streams.json") if self.db_path else None
        self.stream_pump = StreamPump(self.gateway, self.client, positions_file=positions,
                                      engine_in_process=not os.environ.get("DYNAMODB_ENDPOINT"))
        # Its own mapping on the same stream: the conversation reviews (learning/conversation.py).
        from infra.catalog import CONVERSATION

        conversation_positions = (self.db_path.with_name(self.db_path.name + ".conversation-streams.json")
                                  if self.db_path else None)
        self.conversation_pump = StreamPump(self.gateway, self.client, positions_file=conversation_positions,
                                            engine_in_process=not os.environ.get("DYNAMODB_ENDPOINT"),
                                            consumer=CONVERSATION, name="conversation")
        # The corrections table's stream feeds the common-mistakes rollups (admin/mistakes_stream.py).
        from infra.catalog import MISTAKES
        from speakpho.table_setup import table_name
        from speakpho.tables import CORRECTIONS

        mistakes_positions = (self.db_path.with_name(self.db_path.name + ".mistakes-streams.json")
                              if self.db_path else None)
        self.mistakes_pump = StreamPump(self.gateway, self.client, table=table_name(CORRECTIONS),
                                        positions_file=mistakes_positions, consumer=MISTAKES, name="mistakes",
                                        engine_in_process=not os.environ.get("DYNAMODB_ENDPOINT"))
        from local.jobs import ScheduledJobs

        self.scheduled = ScheduledJobs(self)
        # The erasure queue (moto SQS) and its runner, as the deployed event source mapping.
        from local.queue_runner import QueueRunner, provision_erasure_queue

        self.erasure_queue = QueueRunner(self.gateway, provision_erasure_queue())
        self.jobs = [self.stream_pump, self.conversation_pump, self.mistakes_pump, self.scheduled,
                     self.erasure_queue]
        self.stream_pump.start()
        self.conversation_pump.start()
        self.mistakes_pump.start()
        self.scheduled.start()
        self.erasure_queue.start()

    def _start_engine(self) -> None:
        from local import dynoxide

        if self.db_path:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = _lock(self.db_path)
        try:
            self._engine, self.upstream = dynoxide.start(db_path=self.db_path, owned=True)
        except Exception:
            self._release_lock()
            raise
        os.environ["DYNAMODB_ENDPOINT"] = self.upstream

    def _migrate_tables(self) -> list[str]:
        """Tables written by an earlier release get this one's indexes as docs/migrations.md says
        (add each missing one, backfill, drop the retired ones) and their missing streams, before
        anything is served (the stream pumps start after): so neither needs a `make dev-reset`.
        Straight to the engine, never through a fault proxy. Returns what was done."""
        from migrations.live import enable_missing_streams, migrate_in_place
        from speakpho.config import get_settings
        from speakpho.table_setup import table_name
        from speakpho.tables import TABLES

        client = self.client
        if self.faults:
            import botocore.session

            client = botocore.session.get_session().create_client("dynamodb", endpoint_url=self.upstream)
        names = {spec.logical_name: table_name(spec) for spec in TABLES}
        steps = [str(action) for action in migrate_in_place(client, names, get_settings(), poll_seconds=0.2,
                                                              log=lambda line: print(line, flush=True))]
        return steps + [f"{table}: stream enabled" for table in enable_missing_streams(client, names)]

    def _start_fault_proxy(self, rate: float, seed: int) -> None:
        from local.fault_proxy import FaultProxy

        self.faults = FaultProxy(self.upstream, rate=rate, seed=seed).start()
        os.environ["DYNAMODB_ENDPOINT"] = self.faults.url   # what the handlers' settings read

    def _release_lock(self) -> None:
        if self._lock:
            self._lock.close()
            self._lock = None

    def sweep(self) -> dict:
        """Runs the stale-session sweeper now, as its schedule does when deployed."""
        from infra.catalog import SWEEPER

        return self.gateway.invoke(SWEEPER.handler, {"source": "local", "detail-type": "Scheduled Event"},
                                   name="sweeper")

    def stop(self) -> None:
        for job in self.jobs:
            job.stop()
        self.providers.stop()
        if self._mock:
            self._mock.stop()
        if self.faults:
            self.faults.stop()
        if self._engine:
            self._engine.terminate()
            self._engine.wait(timeout=5)
        self._release_lock()
