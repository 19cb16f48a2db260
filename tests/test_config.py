"""Fast mode and setup()."""
from __future__ import annotations

import numpy as np
import pytest

from inpaintkit import config


@pytest.mark.parametrize("value,fast", [("1", True), ("true", True), ("YES", True), ("0", False), ("", False)])
def test_fast_mode_parsing(monkeypatch, value, fast):
    monkeypatch.setenv("INPAINTKIT_FAST", value)
    assert config.fast_mode() is fast
    assert config.budget() == (config.Budget.fast() if fast else config.Budget.paper())


def test_paper_budget_is_the_papers():
    paper = config.Budget.paper()
    assert (paper.epochs, paper.batch_size, paper.inpaint_steps, paper.refine_steps) == (25, 64, 1500, 1500)
    assert config.Budget.fast().inpaint_steps < paper.inpaint_steps


def test_setup_seeds_and_reports(monkeypatch, capsys):
    monkeypatch.delenv("INPAINTKIT_DATA", raising=False)
    monkeypatch.setenv("INPAINTKIT_FAST", "1")
    settings = config.setup(seed=3)
    first = np.random.random(3)
    config.setup(seed=3)
    np.testing.assert_array_equal(first, np.random.random(3))
    assert settings.fast and settings.data is None and settings.budget == config.Budget.fast()
    assert "FAST" in capsys.readouterr().out
