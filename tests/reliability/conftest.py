"""The hostile corpus (scripts/hostile_files.py), written once per test session."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "hostile_files.py"


def hostile_files() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hostile_files", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def hostile() -> ModuleType:
    """``scripts/hostile_files.py`` as a module."""
    return hostile_files()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return hostile_files().corpus(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="session")
def label_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return hostile_files().label_corpus(tmp_path_factory.mktemp("hostile-labels"))
