"""Start dynoxide (npm package @dynoxide/linux-x64), a DynamoDB-compatible engine backed by
SQLite (in memory, or in a file with `db_path`) that enforces conditions, transactions and
request limits like DynamoDB does and reports consumed capacity. Used by `make dev` (its
data in .data/dynamodb.db), the race and fault tests, and `make bench`."""
from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "node_modules" / "@dynoxide" / "linux-x64" / "dynoxide"


class DynoxideUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: SIGTERM when the process that started it dies (Linux prctl
    PR_SET_PDEATHSIG), so a killed `make dev` never leaves an engine holding its data file."""
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def start(timeout: float = 10.0, *, db_path: str | Path | None = None,
          owned: bool = False) -> tuple[subprocess.Popen, str]:
    """Returns (process, endpoint URL). The caller terminates the process.

    `db_path`: the SQLite file keeping the data across restarts (in memory without it).
    `owned`: the engine lives and dies with this process only (its own process group, so a
    Ctrl-C reaches the server, which stops it; and a SIGTERM if this process dies)."""
    if not BINARY.exists():
        raise DynoxideUnavailable(f"dynoxide missing at {BINARY}: run `npm ci` (make test/bench do)")
    port = free_port()
    command = [str(BINARY), "--port", str(port)]
    if db_path is not None:
        command += ["--db-path", str(db_path)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=owned, preexec_fn=_die_with_parent if owned else None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    raise DynoxideUnavailable("dynoxide did not start" + (f" on {db_path}" if db_path is not None else ""))
