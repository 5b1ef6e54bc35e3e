"""Where things are for the browser tests: the repository, Chromium and its flags, screenshots."""
from __future__ import annotations

import os
import tempfile
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
# Screenshots go to a temporary folder, so a test run leaves the tree clean;
# `make screenshots` sets SCREENSHOT_DIR=docs/screenshots to refresh the README's pictures.
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "speakpho-screenshots")

# Debian's chromium package; Playwright's own browser download is never used.
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# The voice tests' own Chromium (tests/browser/voice_helpers.py): a fake microphone playing a WAV
# the test makes, permission granted without a prompt, audio that plays without a gesture, and
# WebRTC on loopback: a 127.0.0.1 host candidate (not an mDNS name); the fake OpenAI answers with
# 127.0.0.1 only, so no other address is ever a target.
VOICE_ARGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]
