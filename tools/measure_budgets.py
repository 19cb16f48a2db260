"""Quality against steps: how many Adam steps on z the whole pipeline needs (issue 39).

    python tools/measure_budgets.py [--faces 12] [--data $INPAINTKIT_DATA]

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

import matplotlib.pyplot as plt
import numpy as np

from inpaintkit import config
from inpaintkit.blending import poisson_blend
from inpaintkit.data import tuning_faces
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
SCHEDULES = {
    "constant 0.003 (paper)": (0.003, (100, 200, 300, 600, 1500)),
    "constant 0.01": (0.01, (50, 100, 200, 300)),
    "constant 0.03": (0.03, (50, 100, 200, 300)),
    "0.03 → 0.003 geometric": (Geometric(0.03, 0.003), (100, 200, 300)),
}
PAPER = ("constant 0.003 (paper)", 1500)


def batch(data, faces_per_pattern: int, seed: int):
    """Every pattern's faces in one batch: images, masks, µ and both starting z, by pattern then face."""
    faces = tuning_faces(data, faces_per_pattern)
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
    record = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
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
                  + ", ".join(f"({k}) {v:.2f}" for k, v in done[str(s)]["refined_hole_mae"].items()))
        print(f"  {name}: {time.perf_counter() - began:.0f} s")
    return record


def cheapest_within(record: dict, tolerance: float = 0.02, limit: int = 300) -> list[tuple]:
    """(max relative gap over patterns, name, s) of every budget with s ≤ ``limit`` whose hole MAE
    after refinement is within ``tolerance`` of the paper budget's on every pattern; nearest first."""
    paper = record["runs"][PAPER[0]][str(PAPER[1])]["refined_hole_mae"]
    rows = []
    for name, runs in record["runs"].items():
        for s, values in runs.items():
            if int(s) <= limit:
                gap = max(values["refined_hole_mae"][n] / paper[n] - 1 for n in paper)
                rows.append((gap, name, int(s)))
    return sorted(rows, key=lambda row: (row[0] > tolerance, row[2], row[0]))


def curve_markdown(record: dict) -> str:
    """The measurement as a table: per schedule and step count, the hole MAE after refinement per
    pattern against the paper budget's (relative change), and the mean whole-image MAE."""
    paper = record["runs"][PAPER[0]][str(PAPER[1])]
    heads = " | ".join(f"({n})" for n in PATTERNS)
    lines = [f"Hole MAE after refinement (0–255) on {record['settings']['faces']}, {record['settings']['faces_per_pattern']} "
             f"per pattern, against the paper budget ({PAPER[1]} + {PAPER[1]} steps at 0.003); whole-image MAE after "
             "refinement, mean over the patterns:", "",
             f"| schedule | steps per stage | {heads} | worst | whole image |", "| --- | --- |" + " --- |" * (len(PATTERNS) + 2)]
    for name, runs in record["runs"].items():
        for s in sorted(runs, key=int):
            hole = runs[s]["refined_hole_mae"]
            if (name, int(s)) == PAPER:
                cells = [f"{hole[str(n)]:.2f}" for n in PATTERNS] + ["–"]
            else:
                gaps = [hole[str(n)] / paper["refined_hole_mae"][str(n)] - 1 for n in PATTERNS]
                cells = [f"{100 * g:+.1f} %" for g in gaps] + [f"{100 * max(gaps):+.1f} %"]
            whole = np.mean(list(runs[s]["refined_image_mae"].values()))
            lines.append(f"| {name} | {s} | " + " | ".join(cells) + f" | {whole:.2f} |")
    return "\n".join(lines) + "\n"


def figure(record: dict) -> None:
    fig, axes = plt.subplots(2, 3, figsize=(11, 6), sharex=True)
    paper = record["runs"][PAPER[0]][str(PAPER[1])]
    for ax, n in zip(axes.flat, PATTERNS):
        for name, runs in record["runs"].items():
            counts = sorted(int(s) for s in runs)
            ax.plot(counts, [runs[str(s)]["refined_hole_mae"][str(n)] for s in counts], "o-", ms=3, label=name)
        level = paper["refined_hole_mae"][str(n)]
        ax.axhspan(level, level * 1.02, color="0.85", zorder=0, label="paper budget + 2 %")
        ax.set_xscale("log")
        ax.set_title(f"({n}) {pattern(n).key}", fontsize=9)
        ax.set_ylabel("hole MAE after refinement" if n in (1, 4) else "")
    for ax in axes[1]:
        ax.set_xlabel("Adam steps per stage (inpainting = refinement)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"Quality against steps on {record['settings']['faces']}: the whole of Fig. 8", fontsize=10)
    fig.tight_layout()
    with atomic_path(FIGURE) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(config.data_dir() or ""))
    parser.add_argument("--faces", type=int, default=12, help="tuning faces per pattern")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", type=Path, default=None, metavar="FILE",
                        help="also write the table between this file's steps_curve markers")
    args = parser.parse_args()
    if args.record:
        check_record_target(args.record, "steps_curve")
    if not args.data:
        raise SystemExit(f"measure_budgets: no CelebA folder: pass --data or set {config.ENV_DATA}")
    config.seed_everything(args.seed)
    record = measure(args)
    figure(record)
    print(curve_markdown(record))
    if args.record:
        record_block(args.record, "steps_curve", curve_markdown(record))
    for gap, name, s in cheapest_within(record)[:5]:
        print(f"{name}, {s} + {s} steps: worst pattern {100 * gap:+.1f} % against the paper budget's hole MAE")


if __name__ == "__main__":
    main()
