"""Fast mode, the budgets (inpaintkit.config) and setup() (inpaintkit.session)."""
from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from inpaintkit import config, session


@pytest.mark.parametrize("value,fast", [("1", True), ("true", True), ("YES", True), (" yes ", True),
                                        ("0", False), ("", False), ("no", False), ("false", False)])
def test_fast_mode_parsing(monkeypatch, value, fast):
    monkeypatch.setenv("INPAINTKIT_FAST", value)
    assert config.fast_mode() is fast
    assert config.budget() == (config.Budget.fast() if fast else config.Budget.paper())


def test_unset_means_the_papers_settings(monkeypatch):
    monkeypatch.delenv("INPAINTKIT_FAST", raising=False)
    assert config.fast_mode() is False and config.budget() == config.Budget.paper()


def test_paper_budget_is_the_papers():
    paper = config.Budget.paper()  # §3.2: 25 epochs, batch 64; §3.3: 1500 steps per stage
    assert (paper.epochs, paper.batch_size, paper.inpaint_steps, paper.refine_steps) == (25, 64, 1500, 1500)
    assert paper.train_images is None  # the whole train partition
    fast = config.Budget.fast()
    for field in dataclasses.fields(config.Budget):
        if field.name != "train_images":
            assert getattr(fast, field.name) <= getattr(paper, field.name), field.name
    assert fast.inpaint_steps < paper.inpaint_steps and fast.epochs < paper.epochs


def test_environment_locations(monkeypatch, tmp_path):
    monkeypatch.setenv("INPAINTKIT_DATA", str(tmp_path))
    monkeypatch.setenv("INPAINTKIT_CACHE", str(tmp_path / "c"))
    assert config.data_dir() == tmp_path and config.cache_dir() == tmp_path / "c"
    monkeypatch.setenv("INPAINTKIT_DATA", "  ")
    monkeypatch.delenv("INPAINTKIT_CACHE")
    assert config.data_dir() is None and config.cache_dir().parts[-2:] == (".cache", "inpaintkit")


def test_setup_returns_the_settings_and_seeds(monkeypatch, capsys):
    monkeypatch.delenv("INPAINTKIT_DATA", raising=False)
    monkeypatch.setenv("INPAINTKIT_FAST", "1")
    settings = session.setup(seed=3)
    first = np.random.random(3), random.random()
    again = session.setup(seed=3)
    np.testing.assert_array_equal(first[0], np.random.random(3))
    assert first[1] == random.random()
    assert settings == again and settings.seed == 3
    assert settings.fast and settings.data is None and settings.budget == config.Budget.fast()
    out = capsys.readouterr().out
    assert "FAST" in out and "sample faces" in out
    session.setup(seed=4, quiet=True)
    assert capsys.readouterr().out == ""
    assert not np.array_equal(first[0], np.random.random(3))


def test_setup_reports_the_celeba_folder(monkeypatch, celeba_root):
    monkeypatch.setenv("INPAINTKIT_DATA", str(celeba_root))
    monkeypatch.delenv("INPAINTKIT_FAST", raising=False)
    settings = session.setup(seed=0, quiet=True)
    assert settings.data == celeba_root and not settings.fast and settings.budget == config.Budget.paper()
    assert str(celeba_root) in str(settings)
