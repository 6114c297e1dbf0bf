"""Settings read from the environment and the data folder."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from adwarden import settings


def _key_in(folder: str, out: multiprocessing.Queue[bytes]) -> None:  # type: ignore[type-arg]
    os.environ["ADWARDEN_DATA_DIR"] = folder
    os.environ.pop("ADWARDEN_SERVING_KEY", None)
    out.put(settings.serving_key())


def test_processes_starting_together_share_one_serving_key(tmp_path: Path) -> None:
    spawn = multiprocessing.get_context("spawn")
    out = spawn.Queue()
    processes = [spawn.Process(target=_key_in, args=(str(tmp_path), out)) for _ in range(6)]
    for process in processes:
        process.start()
    keys = {out.get(timeout=60) for _ in processes}
    for process in processes:
        process.join(timeout=60)
    assert len(keys) == 1
    [key] = keys
    assert len(key) == 32
    mode = stat.S_IMODE((tmp_path / "serving.key").stat().st_mode)
    assert mode == 0o600
    assert list(tmp_path.iterdir()) == [tmp_path / "serving.key"]  # no temporary left


def test_a_given_serving_key_is_used_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADWARDEN_SERVING_KEY", "ab" * 32)
    assert settings.serving_key() == bytes.fromhex("ab" * 32)
