"""`run(coroutine)`: asyncio.run in a thread of its own. A test process may already have an
event loop running in its main thread (Playwright's sync API keeps one for the whole session,
and `--dist loadfile` puts browser tests and these in the same worker), where asyncio.run
refuses to start."""
from __future__ import annotations

import asyncio
import threading


def run(coroutine, timeout: float = 60):
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(asyncio.wait_for(coroutine, timeout))
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=target, name="own-loop", daemon=True)
    thread.start()
    thread.join(timeout + 5)
    if "error" in outcome:
        raise outcome["error"]
    if "value" not in outcome:
        raise TimeoutError(f"the coroutine did not finish within {timeout} s")
    return outcome["value"]
