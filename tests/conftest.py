"""Suite-wide options: ``--run-slow`` enables tests marked ``slow`` (``make test-slow``)."""

from __future__ import annotations

import pytest

# Imported first so openpyxl is switched to its defusedxml path before any test imports it.
import storage  # noqa: F401


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", default=False, help="run slow tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without ``--run-slow``, slow tests are deselected (not skipped): ``make test`` runs the
    short variants, ``make test-slow`` the long ones."""
    if config.getoption("--run-slow"):
        return
    slow = [item for item in items if "slow" in item.keywords]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if "slow" not in item.keywords]
