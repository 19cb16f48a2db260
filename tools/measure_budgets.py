"""Quality against steps: how many Adam steps on z the whole pipeline needs (issue 39).

    python tools/measure_budgets.py [--faces 12] [--data $INPAINTKIT_DATA] [--record docs/budgets.md] [--readme README.md]

On tuning faces (validation 100 onward, never reported by the evaluation), every hole pattern,
the whole of Fig. 8 (inpaint → blend → refine → blend, the same number s of steps in both
stages) runs for several step-size schedules and several s; for each it records the MAE over the
hole and over the whole image (0–255) after the final blend, per pattern. Masks and starting z
are drawn per face as the evaluation draws them. Schedules: the paper's constant 0.003, larger
constant steps, and a step falling geometrically over the run (which depends on s, so it runs
once per s; a constant step runs once to its largest s and reads z after each smaller one).

Resumable: every (schedule, s) is written to ``results/steps_curve.json`` as soon as it is done,
and a rerun with the same settings skips it. Then ``figures/steps_curve.png`` and, printed, the
cheapest budget within 2 % of the paper's hole MAE on every pattern (``config.Budget.lab`` takes
it by hand: a budget is a decision, the tool only measures).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from inpaintkit import config, plotting
from inpaintkit.budget_curve import budget_summary, cheapest_within, curve_markdown, schedule_name
from inpaintkit.config import Budget
from inpaintkit.blending import poisson_blend
from inpaintkit.data import tuning_faces
from inpaintkit.errors import InputError
from inpaintkit.evaluation import initial_z, masks_for
from inpaintkit.inpainting import Geometric, semantic_inpaint
from inpaintkit.masks import PATTERNS, pattern
from inpaintkit.metrics import image_metrics
from inpaintkit.refinement import refine
from inpaintkit.reports import check_record_target, record_block
from inpaintkit.storage import atomic_path, atomic_write_text
from inpaintkit.weights_io import load_pretrained, weights_fingerprint

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results" / "steps_curve.json"
FIGURE = ROOT / "figures" / "steps_curve.png"
# name → (schedule, the step counts s per stage); the paper's is the reference at 1500.
SCHEDULES = {schedule_name(rate): (rate, counts) for rate, counts in (
    (0.003, (100, 200, 300, 600, 1500)),  # the paper's step; PAPER (1500) is the reference
    (0.01, (50, 100, 200, 300)),
    (0.03, (50, 100, 200, 300)),
    (Geometric(0.03, 0.003), (100, 200, 300)),
)}


def batch(data, faces_per_pattern: int, seed: int):
    """Every pattern's faces in one batch: images, masks, µ and both starting z, by pattern then face."""
    faces = tuning_faces(data, faces_per_pattern)
    if len(faces) < faces_per_pattern:  # fewer faces than asked would mix the patterns' slices
        raise InputError(f"only {len(faces)} tuning faces in {data}, asked for {faces_per_pattern} (--faces)")
    indices = range(len(faces))
    y = np.concatenate([faces] * len(PATTERNS))
    known = np.concatenate([masks_for(n, indices, seed) for n in PATTERNS])
    mu = np.concatenate([np.full(len(faces), pattern(n).mu, np.float32) for n in PATTERNS])
    z0 = np.concatenate([initial_z(n, indices, seed, 0) for n in PATTERNS])
    z1 = np.concatenate([initial_z(n, indices, seed, 1) for n in PATTERNS])
    return y, known, mu, z0, z1


def by_pattern(values: np.ndarray, per: int) -> dict[str, float]:
    return {str(n): round(float(values[k * per:(k + 1) * per].mean()), 4) for k, n in enumerate(PATTERNS)}


def finish(G, D, y, known, mu, z1, x_g, rate, steps: int, per: int) -> dict:
    """Blend x_g, refine for ``steps`` against the blend, blend again; the MAEs after each blend."""
    x_b = poisson_blend(y, known, x_g)
    refined = refine(x_b, known, G, D, mu=mu, steps=steps, learning_rate=rate, z_fresh=z1, progress=False)
    x = poisson_blend(y, known, refined.x_r)
    out = {}
    for stage, images in (("inpainted", x_b), ("refined", x)):
        for region in ("missing", "image"):
            out[f"{stage}_{'hole' if region == 'missing' else 'image'}_mae"] = by_pattern(
                image_metrics(images, y, known, region=region)["MAE"], per)
    return out


def measure(args) -> dict:
    settings = {"faces_per_pattern": args.faces, "seed": args.seed,
                "faces": f"validation {100}–{99 + args.faces} (tuning faces)"}
    G, D = load_pretrained()
    settings["weights"] = weights_fingerprint(G, D)
    try:
        record = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        if not isinstance(record, dict) or not isinstance(record.get("runs", {}), dict):
            raise ValueError("not a record")
    except (ValueError, OSError) as error:
        raise InputError(f"{RESULTS} is damaged ({error}); move it away to measure afresh") from None
    if record.get("settings") != settings:
        record = {"settings": settings, "runs": {}}  # another generator or other faces: start afresh
    y, known, mu, z0, z1 = batch(args.data, args.faces, args.seed)
    per = args.faces
    for name, (rate, counts) in SCHEDULES.items():
        done = record["runs"].setdefault(name, {})
        todo = [s for s in counts if str(s) not in done]
        if not todo:
            continue
        began = time.perf_counter()
        if callable(rate):  # a schedule over the run: one inpainting per step count
            fills = {s: semantic_inpaint(y, known, G, D, steps=s, learning_rate=rate, z0=z0, progress=False).x_g
                     for s in todo}
        else:  # a constant step: one inpainting, read after each step count
            run = semantic_inpaint(y, known, G, D, steps=max(todo), learning_rate=rate, z0=z0,
                                   keep_z_at=[s for s in todo if s < max(todo)], progress=False)
            fills = {s: (G(run.z_at[s], training=False).numpy() if s in run.z_at else run.x_g) for s in todo}
        for s in todo:
            started = time.perf_counter()
            done[str(s)] = finish(G, D, y, known, mu, z1, fills[s], rate, s, per)
            done[str(s)]["seconds"] = round(time.perf_counter() - started, 1)
            atomic_write_text(RESULTS, json.dumps(record, indent=1) + "\n")
            print(f"{name}, {s} + {s} steps: hole MAE after refinement "
                  + ", ".join(f"({k}) {v:.2f}" for k, v in done[str(s)]["refined_hole_mae"].items()), flush=True)
        print(f"  {name}: {time.perf_counter() - began:.0f} s", flush=True)
    return record


def figure(record: dict) -> None:
    lab = Budget.lab()
    mark = (schedule_name(lab.learning_rate), lab.inpaint_steps) if _measured_lab(record) else None
    fig = plotting.plot_steps_curve(record, mark=mark, mark_label=f"the lab budget ({lab.inpaint_steps} steps)")
    with atomic_path(FIGURE) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")


def _measured_lab(record: dict) -> bool:
    lab = Budget.lab()
    return str(lab.inpaint_steps) in record["runs"].get(schedule_name(lab.learning_rate), {})


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main() -> None:
    try:
        run()
    except InputError as error:
        raise SystemExit(f"measure_budgets: {error}") from None


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(config.data_dir() or ""))
    parser.add_argument("--faces", type=_positive, default=12, help="tuning faces per pattern")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", type=Path, default=None, metavar="FILE",
                        help="also write the table between this file's steps_curve markers")
    parser.add_argument("--readme", type=Path, default=None, metavar="FILE",
                        help="also write the lab budget's summary between this file's lab_budget markers")
    args = parser.parse_args()
    if args.record:
        check_record_target(args.record, "steps_curve")
    if args.readme:
        check_record_target(args.readme, "lab_budget")
    if not args.data:
        raise InputError(f"no CelebA folder: pass --data or set {config.ENV_DATA}")
    config.seed_everything(args.seed)
    record = measure(args)
    figure(record)
    print(curve_markdown(record))
    if args.record:
        record_block(args.record, "steps_curve", curve_markdown(record))
    if _measured_lab(record):
        print(budget_summary(record, Budget.lab()))
        if args.readme:
            record_block(args.readme, "lab_budget", budget_summary(record, Budget.lab()))
    for gap, name, s in cheapest_within(record)[:5]:
        print(f"{name}, {s} + {s} steps: worst pattern {100 * gap:+.1f} % against the paper budget's hole MAE")


if __name__ == "__main__":
    main()
