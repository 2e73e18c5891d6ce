"""Fixtures for the storage tests. ``store`` runs a test on both twins, TinyDB's own style:
``memory`` (MemoryDocumentStorage) and ``json`` (SafeJSONStorage in a temp data directory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import Store
from tests.storage.storage_helpers import HZ, NB, Recorder


@pytest.fixture(params=["memory", "json"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An open store with units HZ and NB, on both twins."""
    s = Store.memory() if request.param == "memory" else Store.open(tmp_path / "data")
    s.add_unit(HZ)
    s.add_unit(NB)
    yield s
    s.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
