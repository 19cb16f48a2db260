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
    monkeypatch.delenv("INPAINTKIT_BUDGET", raising=False)
    monkeypatch.setenv("INPAINTKIT_FAST", value)
    assert config.fast_mode() is fast
    assert config.budget() == (config.Budget.fast() if fast else config.Budget.lab())


def test_unset_means_the_lab_budget(monkeypatch):
    monkeypatch.delenv("INPAINTKIT_FAST", raising=False)
    monkeypatch.delenv("INPAINTKIT_BUDGET", raising=False)
    assert config.fast_mode() is False and config.budget() == config.Budget.lab()


@pytest.mark.parametrize("name", ["fast", "lab", "paper", " Paper ", "LAB"])
def test_budget_by_name(monkeypatch, name):
    monkeypatch.delenv("INPAINTKIT_FAST", raising=False)
    monkeypatch.setenv("INPAINTKIT_BUDGET", name)
    assert config.budget().name == name.strip().lower() == config.budget_name()


@pytest.mark.parametrize("budget,fast,word", [("papr", "", "INPAINTKIT_BUDGET"), ("", "maybe", "INPAINTKIT_FAST"),
                                              ("paper", "1", "disagree"), ("2", "", "INPAINTKIT_BUDGET")])
def test_unknown_or_contradictory_settings_are_refused(monkeypatch, budget, fast, word):
    monkeypatch.setenv("INPAINTKIT_BUDGET", budget)
    monkeypatch.setenv("INPAINTKIT_FAST", fast)
    with pytest.raises(config.BudgetError, match=word):
        config.budget()


def test_fast_and_budget_fast_agree(monkeypatch):
    monkeypatch.setenv("INPAINTKIT_BUDGET", "fast")
    monkeypatch.setenv("INPAINTKIT_FAST", "1")
    assert config.budget() == config.Budget.fast()


def test_paper_budget_is_the_papers():
    paper = config.Budget.paper()  # §3.2: 25 epochs, batch 64; §3.3: 1500 steps per stage, Adam step 0.003
    assert (paper.epochs, paper.batch_size, paper.inpaint_steps, paper.refine_steps) == (25, 64, 1500, 1500)
    assert paper.learning_rate == 0.003
    assert paper.train_images is None  # the whole train partition
    lab, fast = config.Budget.lab(), config.Budget.fast()
    assert lab.inpaint_steps + lab.refine_steps <= (paper.inpaint_steps + paper.refine_steps) / 5
    for field in dataclasses.fields(config.Budget):
        if field.name not in ("train_images", "name", "learning_rate"):
            assert getattr(fast, field.name) <= getattr(lab, field.name) <= getattr(paper, field.name), field.name
    assert fast.inpaint_steps < lab.inpaint_steps < paper.inpaint_steps and fast.epochs < paper.epochs


def test_environment_locations(monkeypatch, tmp_path):
    monkeypatch.setenv("INPAINTKIT_DATA", str(tmp_path))
    monkeypatch.setenv("INPAINTKIT_CACHE", str(tmp_path / "c"))
    assert config.data_dir() == tmp_path and config.cache_dir() == tmp_path / "c"
    monkeypatch.setenv("INPAINTKIT_DATA", "  ")
    monkeypatch.delenv("INPAINTKIT_CACHE")
    assert config.data_dir() is None and config.cache_dir().parts[-2:] == (".cache", "inpaintkit")


def test_setup_returns_the_settings_and_seeds(monkeypatch, capsys):
    monkeypatch.delenv("INPAINTKIT_DATA", raising=False)
    monkeypatch.delenv("INPAINTKIT_BUDGET", raising=False)
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
    monkeypatch.setenv("INPAINTKIT_BUDGET", "paper")
    settings = session.setup(seed=0, quiet=True)
    assert settings.data == celeba_root and not settings.fast and settings.budget == config.Budget.paper()
    assert str(celeba_root) in str(settings)


def test_the_budgets_page_states_the_budgets_the_kit_runs():
    """docs/budgets.md's table is what config.BUDGETS holds (steps and Adam's step), so a change of a
    budget cannot leave the page behind."""
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "budgets.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| (\d+ \+ \d+ \| [\d.]+) \|", page, flags=re.M))
    assert set(rows) == set(config.BUDGETS)
    for name in config.BUDGETS:
        b = config.budget(name)
        assert rows[name] == f"{b.inpaint_steps} + {b.refine_steps} | {b.learning_rate:g}", name
