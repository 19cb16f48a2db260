"""inpaintkit.budget_curve: reading the quality-against-steps record behind the lab budget."""
from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pytest

from inpaintkit import budget_curve, plotting
from inpaintkit.budget_curve import PAPER, cheapest_within, curve_markdown, gaps, load_curve, schedule_name
from inpaintkit.errors import InputError
from inpaintkit.inpainting import Geometric


@pytest.fixture(autouse=True)
def no_open_figures():
    plt.close("all")
    yield
    plt.close("all")


def _run(hole: float, whole: float = 5.0) -> dict:
    """One (schedule, steps) entry with the same value on every pattern but pattern 4, 10 % higher."""
    per = {str(n): hole * (1.1 if n == 4 else 1.0) for n in range(1, 7)}
    return {"refined_hole_mae": per, "refined_image_mae": {str(n): whole for n in range(1, 7)}}


@pytest.fixture
def record() -> dict:
    return {"settings": {"faces": "validation 100–111 (tuning faces)", "faces_per_pattern": 12},
            "runs": {"constant 0.003 (paper)": {"300": _run(22.0), "1500": _run(20.0)},
                     "constant 0.01": {"100": _run(20.6), "300": _run(20.2)},
                     "0.03 → 0.003 geometric": {"200": _run(19.0)}}}


def test_schedule_names_are_the_records_keys():
    assert schedule_name(0.003) == PAPER[0] == "constant 0.003 (paper)" and PAPER[1] == 1500
    assert schedule_name(0.01) == "constant 0.01"
    assert schedule_name(Geometric(0.03, 0.003)) == "0.03 → 0.003 geometric"


def test_gaps_are_relative_to_the_paper_budget_pattern_by_pattern(record):
    change = gaps(record, "constant 0.01", 300)
    assert set(change) == {1, 2, 3, 4, 5, 6}
    # 20.2 / 20.0 − 1 on every pattern: pattern 4 is 10 % higher in both runs, so its gap is the same
    assert change[1] == pytest.approx(0.01) and change[4] == pytest.approx(0.01)
    assert gaps(record, *PAPER) == {n: 0.0 for n in range(1, 7)}
    with pytest.raises(InputError, match="no run 'constant 0.01' at 200 steps; it has"):
        gaps(record, "constant 0.01", 200)


def test_cheapest_within_puts_the_cheapest_budget_inside_the_tolerance_first(record):
    rows = cheapest_within(record, tolerance=0.02, limit=300)
    # inside 2 %: 0.01 at 100 (+3 %) is not, 0.01 at 300 (+1 %) and geometric at 200 (−5 %) are
    assert [(name, s) for _, name, s in rows[:2]] == [("0.03 → 0.003 geometric", 200), ("constant 0.01", 300)]
    assert rows[0][0] == pytest.approx(-0.05)
    assert all(s <= 300 for _, _, s in rows) and ("constant 0.003 (paper)", 1500) not in [(n, s) for _, n, s in rows]
    outside = [(name, s) for gap, name, s in rows if gap > 0.02]
    assert outside == [("constant 0.01", 100), ("constant 0.003 (paper)", 300)]


def test_curve_markdown_has_one_row_per_run_and_the_paper_budget_in_absolute_numbers(record):
    text = curve_markdown(record)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 5
    paper_row = next(r for r in rows if r.startswith("| constant 0.003 (paper) | 1500 |"))
    assert "| 20.00 | 20.00 | 20.00 | 22.00 |" in paper_row and paper_row.rstrip().endswith("| – | 5.00 |")
    assert "| constant 0.01 | 300 | +1.0 % |" in text
    assert "validation 100–111 (tuning faces), 12 per pattern" in text


def test_load_curve_names_a_missing_or_incomplete_record(record, tmp_path):
    with pytest.raises(InputError, match="no quality-against-steps record at .*measure_budgets"):
        load_curve(tmp_path / "none.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(InputError, match="broken.json is not a complete"):
        load_curve(tmp_path / "broken.json")
    del record["runs"]["constant 0.003 (paper)"]["1500"]
    (tmp_path / "partial.json").write_text(json.dumps(record))
    with pytest.raises(InputError, match="the paper budget's run or the settings are missing: '1500'"):
        load_curve(tmp_path / "partial.json")


def test_plot_steps_curve_draws_every_schedule_and_rings_the_marked_budget(record):
    fig = plotting.plot_steps_curve(record, mark=("constant 0.01", 300))
    try:
        first = fig.axes[0]
        labels = [line.get_label() for line in first.get_lines()]
        assert labels[:3] == list(record["runs"]) and labels[3] == "constant 0.01, 300 steps"
        ring = first.get_lines()[3]
        assert list(ring.get_xdata()) == [300] and list(ring.get_ydata()) == [pytest.approx(20.2)]
        assert len(fig.axes) == 6 and "(4)" in fig.axes[3].get_title()
    finally:
        plt.close(fig)


def test_the_committed_record_measured_the_lab_budget_and_the_docs_quote_it():
    """results/steps_curve.json holds the paper budget's run and the lab budget's; the README's
    summary and docs/budgets.md's table are what the record says (tools/measure_budgets.py wrote them)."""
    from pathlib import Path

    from helpers import block_of
    from inpaintkit.config import Budget

    root = Path(budget_curve.__file__).resolve().parents[1]
    committed = load_curve(root / "results" / "steps_curve.json")
    from inpaintkit.weights_io import load_pretrained, weights_fingerprint

    assert committed["settings"]["weights"] == weights_fingerprint(*load_pretrained()), \
        "results/steps_curve.json was measured with other weights: run tools/measure_budgets.py again"
    lab = Budget.lab()
    assert set(gaps(committed, schedule_name(lab.learning_rate), lab.inpaint_steps)) == {1, 2, 3, 4, 5, 6}
    assert 5 * (lab.inpaint_steps + lab.refine_steps) <= 2 * PAPER[1]  # at most a fifth of the paper's steps
    assert block_of((root / "README.md").read_text(), "lab_budget") == "\n" + budget_curve.budget_summary(committed, lab)
    assert block_of((root / "docs" / "budgets.md").read_text(), "steps_curve") == "\n" + curve_markdown(committed)
    assert (root / "figures" / "steps_curve.png").stat().st_size > 10_000


def test_budget_summary_states_the_gap_and_a_cheaper_budget_when_one_is_measured(record):
    import dataclasses

    from inpaintkit.config import Budget

    lab = dataclasses.replace(Budget.lab(), inpaint_steps=300, refine_steps=300, learning_rate=0.01)  # the fixture's
    text = budget_curve.budget_summary(record, lab)
    assert "the lab budget (300 + 300 steps at Adam step 0.01, 0.20× the paper's steps)" in text
    assert "from +1.0 to +1.0 % of the paper budget's (1500 + 1500 at 0.003), within 2 % on every pattern" in text
    assert "whole-image MAE 5.00 against 5.00" in text
    assert "The paper's step stopped at 300 steps is up to +10.0 % off" in text
    assert "The cheapest measured budget within 2 % is 0.03 → 0.003 geometric at 200 + 200 steps (-5.0 % at worst)" in text
    worse = dataclasses.replace(lab, inpaint_steps=100, refine_steps=100)
    assert "from +3.0 to +3.0 % of the paper budget's (1500 + 1500 at 0.003), outside 2 %" in \
        budget_curve.budget_summary(record, worse)
    del record["runs"]["0.03 → 0.003 geometric"], record["runs"]["constant 0.01"]["300"]
    assert "No measured budget of at most 300 steps per stage is within 2 %" in budget_curve.budget_summary(record, worse)


@pytest.mark.parametrize("damage, words", [
    (lambda r: r["runs"]["constant 0.01"]["300"]["refined_hole_mae"].update({"2": float("nan")}),
     "'constant 0.01' at 300 steps: refined_hole_mae must be positive finite numbers"),
    (lambda r: r["runs"]["constant 0.003 (paper)"]["1500"]["refined_hole_mae"].update({"4": 0.0}),
     "'constant 0.003 (paper)' at 1500 steps: refined_hole_mae must be positive finite"),
    (lambda r: r["runs"]["constant 0.003 (paper)"]["1500"]["refined_hole_mae"].pop("6"),
     "refined_hole_mae must hold patterns 1–6"),
    (lambda r: r["runs"]["constant 0.01"]["300"]["refined_image_mae"].update({"7": 1.0}),
     "refined_image_mae must hold patterns 1–6"),
    (lambda r: r["runs"]["constant 0.01"].update({"-5": r["runs"]["constant 0.01"]["300"]}),
     "step counts must be positive whole numbers, got '-5'"),
])
def test_a_record_with_a_missing_or_impossible_number_is_refused_everywhere(record, tmp_path, damage, words):
    """A NaN passes every comparison and a missing pattern is never compared: both would let a bad
    budget read as 'within 2 % on every pattern'."""
    damage(record)
    (tmp_path / "curve.json").write_text(json.dumps(record))
    with pytest.raises(InputError, match="curve.json: .*" + words.replace("(", r"\(").replace(")", r"\)")):
        load_curve(tmp_path / "curve.json")
    for call in (lambda: cheapest_within(record), lambda: curve_markdown(record),
                 lambda: plotting.plot_steps_curve(record)):
        with pytest.raises(InputError, match="must"):
            call()
    assert not plt.get_fignums()  # a refused record opens no figure


def test_schedules_the_record_cannot_name_are_refused():
    for rate in (True, 0.0, -0.01, float("nan"), "0.01", None, lambda i, s: 0.01):
        with pytest.raises(InputError, match="a step size must be a positive finite number or an inpainting.Geometric"):
            schedule_name(rate)


def test_budget_summary_names_a_geometric_budget_and_refuses_unequal_stages(record):
    import dataclasses

    from inpaintkit.config import Budget

    geometric = dataclasses.replace(Budget.lab(), inpaint_steps=200, refine_steps=200,
                                    learning_rate=Geometric(0.03, 0.003))
    assert "(200 + 200 steps at Adam step 0.03 → 0.003 geometric, " in budget_curve.budget_summary(record, geometric)
    unequal = dataclasses.replace(Budget.lab(), inpaint_steps=300, refine_steps=1500, learning_rate=0.01)
    with pytest.raises(InputError, match="as many refinement steps as inpainting steps; the lab budget has 300 \\+ 1500"):
        budget_curve.budget_summary(record, unequal)
    with pytest.raises(InputError, match="tolerance must be a fraction"):
        budget_curve.budget_summary(record, dataclasses.replace(unequal, refine_steps=300), tolerance="0.02")


@pytest.mark.parametrize("mark", [("constant 0.01", 200), ("constant 0.5", 300), "lab", ("constant 0.01", "300"),
                                  ("constant 0.01",)])
def test_a_mark_that_is_not_a_measured_budget_is_refused_before_a_figure_opens(record, mark):
    with pytest.raises(InputError, match="mark must be|no run"):
        plotting.plot_steps_curve(record, mark=mark)
    assert not plt.get_fignums()


def test_load_curve_names_a_folder_and_an_unreadable_file(tmp_path):
    with pytest.raises(InputError, match="is a folder, not a quality-against-steps record"):
        load_curve(tmp_path)
    (tmp_path / "latin1.json").write_bytes(b'{"caf\xe9": 1}')
    with pytest.raises(InputError, match="cannot read .*latin1.json"):
        load_curve(tmp_path / "latin1.json")
