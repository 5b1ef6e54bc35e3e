"""Start dynoxide (npm package @dynoxide/linux-x64), an in-memory DynamoDB-compatible
engine that enforces conditions, transactions and request limits like DynamoDB does and
reports consumed capacity. Used by the race tests and `make bench`."""
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


def start(timeout: float = 10.0) -> tuple[subprocess.Popen, str]:
    """Returns (process, endpoint URL). The caller terminates the process."""
    if not BINARY.exists():
        raise DynoxideUnavailable(f"dynoxide missing at {BINARY}: run `npm ci` (make test/bench do)")
    port = free_port()
    proc = subprocess.Popen([str(BINARY), "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
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
    raise DynoxideUnavailable("dynoxide did not start")
