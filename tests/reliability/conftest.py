"""Reliability tests reuse the end-to-end fixtures (the emulator and its clock)."""

from tests.e2e.conftest import emulator, emulator_clock

__all__ = ["emulator", "emulator_clock"]
