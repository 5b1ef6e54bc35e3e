"""The README's "Try it with curl" block runs as pasted: extracted from README.md and run with
bash against the local runner (PORT set, as `PORT=... make dev` would be), every answer a
success and the end's answer among them."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from dev_server import DevServer

ROOT = Path(__file__).resolve().parents[2]


def curl_block() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Try it with curl", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def test_the_readme_curl_block_runs_as_pasted(tmp_path):
    block = curl_block()
    assert "make -s token" in block and "$API" in block and "field" in block
    with DevServer(tmp_path / "server.log") as server:
        server.wait_ready()
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        env["PORT"] = str(server.port)
        run = subprocess.run(["bash", "-c", block], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    out = run.stdout
    assert run.returncode == 0, run.stderr[-2000:]
    assert '"success": false' not in out and '"success":false' not in out, out[-3000:]
    assert '"totalMinutesUsed"' in out, out[-3000:]            # the end's answer (the heartbeat's before it)
    assert '"limitReached"' in out and "provider access works" in out, out[-3000:]
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
