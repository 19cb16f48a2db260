"""Helpers shared by test modules (pytest puts this folder on sys.path, as for conftest.py)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def block_of(text: str, name: str) -> str:
    """What a README holds between the markers of block ``name`` (``reports.read_block``)."""
    from inpaintkit.reports import read_block

    return read_block(text, name)


def load_repo_module(folder: str, name: str):
    """A script of the repository (``benchmarks/NAME.py``, ``scripts/NAME.py``) imported as a module,
    so its functions can be tested without running its ``main``."""
    spec = importlib.util.spec_from_file_location(name, ROOT / folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
