"""The dev clock's offset is kept beside the dev data (local.dev_clock): a restart of make dev
applies it again, so what was due on the moved clock is still due."""
from __future__ import annotations

import json

import pytest

from local.dev_clock import DevClockOffset


def test_a_move_is_kept_and_restored(tmp_path, clock):
    db = tmp_path / "dynamodb.db"
    kept = DevClockOffset.beside(db)
    start = clock.now_ms()
    kept.advance(3600)
    kept.advance(-600)
    assert json.loads((tmp_path / "dynamodb.db.clock.json").read_text()) == {"offsetMs": 3_000_000}
    clock.set(start)                          # the restart: the clock is back at "real" time
    restored = DevClockOffset.beside(db)
    assert restored.restore() == 3_000_000 and clock.now_ms() == start + 3_000_000
    restored.advance(60)                      # the next move adds to the kept offset
    assert json.loads((tmp_path / "dynamodb.db.clock.json").read_text()) == {"offsetMs": 3_060_000}


@pytest.mark.parametrize("content", ["", "{oops", "[]", '{"offsetMs": "soon"}', '{"offsetMs": true}', "{}"])
def test_a_bad_file_starts_at_the_real_time(tmp_path, clock, content):
    (tmp_path / "dynamodb.db.clock.json").write_text(content)
    before = clock.now_ms()
    assert DevClockOffset.beside(tmp_path / "dynamodb.db").restore() == 0 and clock.now_ms() == before


def test_without_a_data_file_nothing_is_written(tmp_path, clock):
    memory = DevClockOffset.beside(None)
    before = clock.now_ms()
    assert memory.advance(90) == before + 90_000 and memory.path is None and memory.restore() == 0
