"""Quality against steps: the measurement behind the lab budget (``docs/budgets.md``, issue 39).

``tools/measure_budgets.py`` runs the whole of Fig. 8 (inpaint → blend → refine → blend, the same
number of Adam steps in both stages) on tuning faces for several step-size schedules and step
counts and records, per pattern, the hole MAE and whole-image MAE after the last blend. This module
reads that record: the schedules' names, each budget's gap to the paper's (1500 + 1500 steps at
§1.2's 0.003), the cheapest budget within a tolerance, and the record as a Markdown table. The
figure is :func:`inpaintkit.plotting.plot_steps_curve`.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import InputError
from .inpainting import Geometric
from .masks import PATTERNS

__all__ = ["PAPER", "budget_summary", "check_curve", "cheapest_within", "curve_markdown", "gaps", "load_curve",
           "schedule_name"]

PAPER_RATE, PAPER_STEPS = 0.003, 1500


def schedule_name(learning_rate) -> str:
    """The record's name of a step-size schedule: ``"constant 0.01"``, ``"0.03 → 0.003 geometric"``;
    the paper's constant 0.003 is ``"constant 0.003 (paper)"``."""
    if isinstance(learning_rate, Geometric):
        return f"{learning_rate.start:g} → {learning_rate.end:g} geometric"
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) \
            or not (np.isfinite(learning_rate) and learning_rate > 0):
        raise InputError(f"a step size must be a positive finite number or an inpainting.Geometric schedule, "
                         f"got {learning_rate!r}")
    return f"constant {learning_rate:g}" + (" (paper)" if learning_rate == PAPER_RATE else "")


PAPER = (schedule_name(PAPER_RATE), PAPER_STEPS)  # the reference every gap is measured against


def load_curve(path: str | Path) -> dict:
    """The record ``tools/measure_budgets.py`` wrote; a missing file or one without the paper
    budget's run is refused, naming it."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a quality-against-steps record (results/steps_curve.json)")
    if not path.is_file():
        raise InputError(f"no quality-against-steps record at {path}: run tools/measure_budgets.py")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        record["runs"][PAPER[0]][str(PAPER[1])]["refined_hole_mae"]
        record["settings"]["faces"], record["settings"]["faces_per_pattern"]
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {path}: {error}") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise InputError(f"{path} is not a complete quality-against-steps record (the paper budget's "
                         f"run or the settings are missing: {error}); run tools/measure_budgets.py again") from None
    try:
        check_curve(record)
    except InputError as error:
        raise InputError(f"{path}: {error}") from None
    return record


def check_curve(record: dict) -> dict:
    """Check a whole record (settings, the paper budget's run, every run's numbers and step counts);
    return its runs."""
    try:
        record["settings"]["faces"], record["settings"]["faces_per_pattern"]
        runs = dict(record["runs"])
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"not a quality-against-steps record: no {error}") from None
    _run(record, *PAPER)
    for name, by_steps in runs.items():
        for steps in by_steps:
            if not (isinstance(steps, str) and steps.isdigit() and int(steps) > 0):
                raise InputError(f"run '{name}': step counts must be positive whole numbers, got {steps!r}")
            _run(record, name, steps)
    return runs


def _run(record: dict, name: str, steps) -> dict:
    """One (schedule, steps) entry, checked: the hole and whole-image MAE after refinement for every
    pattern, each a positive finite number (a NaN or a missing pattern would pass any comparison)."""
    try:
        run = record["runs"][name][str(steps)]
    except (KeyError, TypeError):
        measured = {n: sorted(runs, key=lambda s: (len(s), s)) for n, runs in record.get("runs", {}).items()}
        raise InputError(f"the record has no run '{name}' at {steps} steps; it has {measured}") from None
    for key in ("refined_hole_mae", "refined_image_mae"):
        values = run.get(key) if isinstance(run, dict) else None
        if not isinstance(values, dict) or set(values) != {str(n) for n in PATTERNS}:
            raise InputError(f"run '{name}' at {steps} steps: {key} must hold patterns 1–6, "
                             f"got {sorted(values) if isinstance(values, dict) else values!r}")
        bad = {n: v for n, v in values.items()
               if isinstance(v, bool) or not isinstance(v, (int, float)) or not (np.isfinite(v) and v > 0)}
        if bad:
            raise InputError(f"run '{name}' at {steps} steps: {key} must be positive finite numbers, got {bad}")
    return run


def gaps(record: dict, name: str, steps: int, key: str = "refined_hole_mae") -> dict[int, float]:
    """Pattern → relative change of ``key`` (default: the hole MAE after refinement) of schedule
    ``name`` at ``steps`` per stage against the paper budget's: +0.02 is 2 % worse."""
    paper, ours = _run(record, *PAPER)[key], _run(record, name, steps)[key]
    return {n: ours[str(n)] / paper[str(n)] - 1 for n in PATTERNS}


def cheapest_within(record: dict, tolerance: float = 0.02, limit: int = 300) -> list[tuple[float, str, int]]:
    """(largest gap over the patterns, schedule, steps) of every budget with at most ``limit`` steps per
    stage, those within ``tolerance`` of the paper budget's hole MAE on every pattern first, cheapest
    first; then the rest, cheapest first."""
    rows = [(max(gaps(record, name, int(s)).values()), name, int(s))
            for name, runs in check_curve(record).items() for s in runs if int(s) <= limit]
    return sorted(rows, key=lambda row: (row[0] > tolerance, row[2], row[0]))


def curve_markdown(record: dict) -> str:
    """The record as a table: per schedule and step count, the hole MAE after refinement per pattern
    against the paper budget's (relative change), and the whole-image MAE, mean over the patterns."""
    paper = _run(record, *PAPER)["refined_hole_mae"]
    check_curve(record)
    settings = record["settings"]
    heads = " | ".join(f"({n})" for n in PATTERNS)
    lines = [f"Hole MAE after refinement (0–255) on {settings['faces']}, {settings['faces_per_pattern']} per "
             f"pattern: the paper budget's ({PAPER[1]} + {PAPER[1]} steps at {PAPER_RATE:g}) in its row, every other "
             "budget's as its change against it; whole-image MAE after refinement, mean over the patterns:", "",
             f"| schedule | steps per stage | {heads} | worst | whole image |",
             "| --- | --- |" + " --- |" * (len(PATTERNS) + 2)]
    for name, runs in record["runs"].items():
        for s in sorted(runs, key=int):
            if (name, int(s)) == PAPER:
                cells = [f"{paper[str(n)]:.2f}" for n in PATTERNS] + ["–"]
            else:
                change = gaps(record, name, int(s))
                cells = [f"{100 * change[n]:+.1f} %" for n in PATTERNS] + [f"{100 * max(change.values()):+.1f} %"]
            whole = np.mean(list(_run(record, name, s)["refined_image_mae"].values()))
            lines.append(f"| {name} | {s} | " + " | ".join(cells) + f" | {whole:.2f} |")
    return "\n".join(lines) + "\n"


def _rate(learning_rate) -> str:
    return f"{learning_rate:g}" if isinstance(learning_rate, (int, float)) else schedule_name(learning_rate)


def budget_summary(record: dict, budget, tolerance: float = 0.02) -> str:
    """One paragraph on ``budget`` (a :class:`inpaintkit.config.Budget`) against the paper budget in
    the record: its steps, its largest hole-MAE gap over the patterns and whether that is within
    ``tolerance``, the paper's step stopped at as many steps, the whole-image MAE of both, and the
    cheapest measured budget within ``tolerance`` when that is another."""
    name, steps = schedule_name(budget.learning_rate), budget.inpaint_steps
    if budget.refine_steps != steps:
        raise InputError(f"the curve runs as many refinement steps as inpainting steps; the {budget.name} budget "
                         f"has {budget.inpaint_steps} + {budget.refine_steps}")
    if not (isinstance(tolerance, (int, float)) and 0 <= tolerance < 1):
        raise InputError(f"tolerance must be a fraction in [0, 1), got {tolerance!r}")
    change = gaps(record, name, steps)
    worst = max(change, key=change.get)
    settings = record["settings"]
    share = (budget.inpaint_steps + budget.refine_steps) / (2 * PAPER[1])
    verdict = "within" if change[worst] <= tolerance else "outside"

    def whole(run_name: str, run_steps: int) -> float:
        return float(np.mean(list(_run(record, run_name, run_steps)["refined_image_mae"].values())))

    text = (f"On {settings['faces']}, {settings['faces_per_pattern']} per pattern, through the whole of Fig. 8: "
            f"the {budget.name} budget ({budget.inpaint_steps} + {budget.refine_steps} steps at Adam step "
            f"{_rate(budget.learning_rate)}, {share:.2f}× the paper's steps) ends with a hole MAE from "
            f"{100 * min(change.values()):+.1f} to {100 * change[worst]:+.1f} % of the paper budget's "
            f"({PAPER[1]} + {PAPER[1]} at {PAPER_RATE:g}), {verdict} {100 * tolerance:g} % on every pattern "
            f"(the largest gap on ({worst})); whole-image MAE {whole(name, steps):.2f} against "
            f"{whole(*PAPER):.2f}")
    if name != PAPER[0] and str(steps) in record["runs"].get(PAPER[0], {}):
        early = gaps(record, PAPER[0], steps)
        text += (f". The paper's step stopped at {steps} steps is up to {100 * max(early.values()):+.1f} % off "
                 "on the hole MAE")
    inside = [(gap, n, s) for gap, n, s in cheapest_within(record, tolerance) if gap <= tolerance]
    if inside and (inside[0][1], inside[0][2]) != (name, steps):
        text += (f". The cheapest measured budget within {100 * tolerance:g} % is {inside[0][1]} at "
                 f"{inside[0][2]} + {inside[0][2]} steps ({100 * inside[0][0]:+.1f} % at worst)")
    elif not inside:
        text += f". No measured budget of at most 300 steps per stage is within {100 * tolerance:g} % on every pattern"
    return text + ".\n"
