"""What the voice tests share: their own Chromium with a fake microphone (a WAV made here: a
tone loud enough for the fake OpenAI's ear, then a pause; any audio counts for the fake Gemini),
the fakes' log and levers through the runner's dev routes, and the messages the adapters sent
(window.__speakphoSent, the adapters' debug hook) checked against the providers' own SDK types."""
from __future__ import annotations

import math
import shutil
import struct
import tempfile
import wave
from pathlib import Path

import pytest
from browser_env import CHROMIUM, LAUNCH_ARGS, SCREENSHOTS, VOICE_ARGS
from browser_helpers import conversation, expect, sign_in, wait_until
from browser_seed import Http

PRACTICE = "/practice?heartbeatMs=500"
WAV_RATE = 48_000
TONE_SECONDS, PAUSE_SECONDS = 1.6, 1.4     # the fake OpenAI hears 1 s of loud audio as one utterance


def make_wav(path: Path) -> Path:
    """A mono 16-bit WAV: a 440 Hz tone at half scale, then silence (Chromium loops it)."""
    tone = [int(16000 * math.sin(2 * math.pi * 440 * n / WAV_RATE)) for n in range(int(WAV_RATE * TONE_SECONDS))]
    samples = tone + [0] * int(WAV_RATE * PAUSE_SECONDS)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


@pytest.fixture(scope="module")
def voice_context(playwright):
    """The voice tests' Chromium, launched from the run's one Playwright driver (conftest.py)."""
    folder = Path(tempfile.mkdtemp(prefix="speakpho-voice-"))
    wav = make_wav(folder / "learner.wav")
    context = playwright.chromium.launch_persistent_context(
        str(folder / "profile"), executable_path=CHROMIUM, headless=True,
        args=LAUNCH_ARGS + VOICE_ARGS + [f"--use-file-for-fake-audio-capture={wav}"],
        viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(20_000)
    yield context
    context.close()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def voice_page(voice_context, runner):
    """A tab of the voice Chromium that records what the adapters send; fails on any script error."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=20_000)
    tab = voice_context.new_page()
    tab.add_init_script("window.__speakphoSent = [];")
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on("console", lambda msg: msg.type == "error" and not msg.text.startswith("Failed to load resource")
           and problems.append(f"console error: {msg.text}"))
    yield tab
    tab.close()
    tab_storage = voice_context.new_page()
    tab_storage.goto(runner.base + "/config.json")
    tab_storage.evaluate("localStorage.clear()")
    tab_storage.close()
    assert not problems, problems


def shoot(page, name: str, **kwargs) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), **kwargs)


def start_voice(page, runner, user: str, provider: str, mode: str = "coach") -> None:
    sign_in(page, runner, PRACTICE, user)
    expect(page.locator("#provider option")).to_have_count(2)
    page.select_option("#channel", "voice")
    page.select_option("#provider", provider)
    page.select_option("#mode", mode)
    page.click("#start")
    try:
        expect(page.locator("#connection-status")).to_have_text(f"Connected to {'Gemini' if provider == 'gemini' else 'OpenAI'}.")
    except AssertionError as err:   # say what the page said instead
        raise AssertionError(f"{err}\nsetup: {page.text_content('#setup-status')!r}; dialog: "
                             f"{page.text_content('#disconnect-reason')!r} / {page.text_content('#dialog-status')!r}") from err
    expect(page.locator("#voice-bar")).to_be_visible()


def fakes_log(http: Http) -> dict:
    return http.get("/local/providers/log").data


def connections(http: Http, provider: str) -> list[dict]:
    return [c for c in fakes_log(http)["connections"] if c["provider"] == provider]


def wait_for_line(page, role: str, text: str, times: int = 1) -> None:
    """Waits until the conversation holds `times` lines of `role` containing `text`."""
    wait_until(lambda: sum(r == role and text in t for r, t in conversation(page)) >= times,
               timeout=25, message=f"{times} {role} line(s) with {text!r}")


def sent_messages(page) -> list[dict]:
    return page.evaluate("window.__speakphoSent")


def check_against_sdks(sent: list[dict]) -> dict[str, int]:
    """Every message the adapters sent parses as the providers' own client types (strictly for
    OpenAI: no field the SDK does not know). Answers how many of each provider were checked."""
    from google.genai import types
    from openai_models import client_event

    counts = {"gemini": 0, "openai": 0}
    for entry in sent:
        if entry["provider"] == "gemini":
            types.LiveClientMessage.model_validate(entry["message"])
        else:
            client_event(entry["message"])
        counts[entry["provider"]] += 1
    return counts
