"""What a click costs: one face through the whole of Fig. 8 at the lab budget and at the paper's.

    python benchmarks/bench_budgets.py [--repeat 2] [--record docs/benchmarks.md]

A widget click in the notebooks runs ``pipeline.fig8`` on one face (inpaint → blend → refine →
blend); this times that call at the lab budget and at the paper budget on the same face, hole and
starting z, in one run (interleaved, best of ``--repeat``), after one untimed warm-up of each (the
first call traces the compiled step). It prints the seconds, their ratio, the hole MAE of both
results on this face, and the quality ratio the committed evaluation measured on the faces both of
its runs hold (``results/eval`` at the paper budget, ``results/eval-lab`` at the lab budget). Target: a click at the lab budget takes at
most 15 s on 2 cores.
"""
from __future__ import annotations

import argparse
import datetime
import os
import time
from pathlib import Path

import numpy as np

from inpaintkit import config
from inpaintkit.data import sample_faces
from inpaintkit.masks import make_mask, pattern
from inpaintkit.metrics import image_metrics
from inpaintkit.pipeline import fig8
from inpaintkit.reports import check_record_target, collect, record_block
from inpaintkit.weights_io import load_pretrained

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 15.0


def click(G, D, face, known, budget: config.Budget) -> tuple[float, float]:
    """(seconds, hole MAE) of one face through Fig. 8 at ``budget``."""
    began = time.perf_counter()
    run = fig8(face, known, G, D, mu=pattern(5).mu, inpaint_steps=budget.inpaint_steps,
               refine_steps=budget.refine_steps, learning_rate=budget.learning_rate, seed=0, original=face,
               progress=False)
    seconds = time.perf_counter() - began
    return seconds, float(image_metrics(run.x, face, known, region="missing")["MAE"][0])


def evaluated_ratio(paper_run: Path, lab_run: Path) -> str:
    """The committed evaluation's hole MAE after refinement, lab over paper, over all patterns."""
    if not (paper_run / "settings.json").exists() or not (lab_run / "settings.json").exists():
        return "no committed evaluation at both budgets to compare"
    paper = {(r["pattern"], r["index"]): r["after_missing_MAE"] for r in collect(paper_run)["rows"]}
    lab = {(r["pattern"], r["index"]): r["after_missing_MAE"] for r in collect(lab_run)["rows"]}
    shared = sorted(set(paper) & set(lab))
    if not shared:
        return "the committed runs at the two budgets share no face to compare"
    ratio = np.mean([lab[k] for k in shared]) / np.mean([paper[k] for k in shared])
    return f"hole MAE after refinement, lab / paper, over {len(shared)} evaluated faces: {ratio:.3f}"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv=None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=_positive, default=2, help="timed runs of each budget (at least 1)")
    parser.add_argument("--record", type=Path, default=None, metavar="FILE",
                        help="also write the figures between this file's bench_budgets markers")
    args = parser.parse_args(argv)
    if args.record:
        check_record_target(args.record, "bench_budgets")
    config.seed_everything(0)
    G, D = load_pretrained()
    face, known = sample_faces(1), make_mask(5, seed=0)
    budgets = {name: config.budget(name) for name in ("lab", "paper")}
    for budget in budgets.values():  # warm-up: the first call traces the compiled steps
        fig8(face, known, G, D, mu=0.66, inpaint_steps=2, refine_steps=2, learning_rate=budget.learning_rate,
             progress=False)
    times = {name: [] for name in budgets}
    quality = {}
    for _ in range(args.repeat):
        for name, budget in budgets.items():
            seconds, quality[name] = click(G, D, face, known, budget)
            times[name].append(seconds)
    best = {name: min(values) for name, values in times.items()}
    lab, paper = budgets["lab"], budgets["paper"]
    verdict = "PASS" if best["lab"] <= TARGET_SECONDS else "FAIL"
    lines = [
        f"one face, centre hole, best of {args.repeat} interleaved runs; {os.cpu_count()} CPU core(s), load "
        f"average {os.getloadavg()[0]:.1f} at the end, {datetime.date.today()}.",
        "",
        f"- lab budget ({lab.inpaint_steps} + {lab.refine_steps} steps at {lab.learning_rate:g}): "
        f"{best['lab']:.1f} s per click ({', '.join(f'{t:.1f}' for t in times['lab'])})",
        f"- paper budget ({paper.inpaint_steps} + {paper.refine_steps} steps at {paper.learning_rate:g}): "
        f"{best['paper']:.1f} s ({', '.join(f'{t:.1f}' for t in times['paper'])})",
        f"- lab / paper time: {best['lab'] / best['paper']:.2f}; hole MAE on this face: lab {quality['lab']:.2f}, "
        f"paper {quality['paper']:.2f}",
        f"- {evaluated_ratio(ROOT / 'results' / 'eval', ROOT / 'results' / 'eval-lab')}",
        f"- {verdict}: a click at the lab budget takes {best['lab']:.1f} s (target ≤ {TARGET_SECONDS:g} s)",
    ]
    print("\n".join(lines))
    if args.record:
        record_block(args.record, "bench_budgets", "\n".join(lines) + "\n")
    return lines


if __name__ == "__main__":
    main()
