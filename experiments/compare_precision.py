"""bf16 accuracy check (issue 16): Fig. 8 at the paper's settings on N tuning faces per pattern
(validation faces 100 onward, which the evaluation never reports), once in float32 and once under
mixed_bfloat16, with the same masks and starting z; whole-image MAE side by side.

    python scripts/compare_precision.py --data $INPAINTKIT_DATA --n 32

Each precision is an ordinary resumable evaluation folder under the cache
($INPAINTKIT_CACHE/precision-check/WEIGHTS/{float32,mixed_bfloat16}, WEIGHTS the first 16 hex
digits of the shipped G and D's fingerprint), so an interrupted check continues, and a check
begun on other weights is left alone. Writes results/precision_check.json (numbers only, no
CelebA pixel), with the fingerprint of the weights it measured, and the README's table of it
(between its precision_check markers).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from inpaintkit import config, dcgan, load_pretrained, masks
from inpaintkit.data import tuning_faces_named
from inpaintkit.evaluation import evaluate
from inpaintkit.reports import check_record_target, record_block
from inpaintkit.storage import atomic_write_text

PRECISIONS = ("float32", "mixed_bfloat16")
TOLERANCE = 0.01  # the bar: bf16's whole-image MAE within 1 % of float32's
README = Path(__file__).resolve().parents[1] / "README.md"


def compare(rows: dict[str, list[dict]]) -> dict:
    """Per pattern: mean whole-image MAE after refinement for each precision and bf16's relative gap."""
    result = {}
    for number in sorted({int(r["pattern"]) for r in rows["float32"]}):
        mae = {p: float(np.mean([float(r["after_image_MAE"]) for r in rows[p] if int(r["pattern"]) == number]))
               for p in PRECISIONS}
        result[number] = {**{f"MAE_{p}": round(v, 3) for p, v in mae.items()},
                          "relative_gap": round(mae["mixed_bfloat16"] / mae["float32"] - 1, 5)}
    return result


def readme_table(record: dict, shipped_weights: str) -> str:
    """The README's account of the check, from its record; it says so if the shipped weights are
    no longer the ones measured."""
    lines = [f"`scripts/compare_precision.py` on {record['faces']}, {record['steps']} + {record['steps']} steps, "
             "whole-image MAE (0–255) after refinement, the mean of each pattern:", "",
             "| pattern | float32 | mixed_bfloat16 | bf16 vs float32 |", "| --- | --- | --- | --- |"]
    for number, values in sorted(record["patterns"].items(), key=lambda item: int(item[0])):
        lines.append(f"| {number} | {values['MAE_float32']:.3f} | {values['MAE_mixed_bfloat16']:.3f} | "
                     f"{100 * values['relative_gap']:+.2f} % |")
    verdict = "within" if record["passes"] else "outside"
    lines += ["", f"The largest gap is {100 * record['worst_relative_gap']:.2f} %: {verdict} the 1 % bar."]
    if record["weights"] != shipped_weights:
        lines[-1] += (f" Measured with an earlier generator (weights {record['weights'][:12]}…), not the one "
                      "shipped now; re-run the script to measure this one.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(config.data_dir()))
    parser.add_argument("--n", type=int, default=32, help="tuning faces per pattern")
    parser.add_argument("--patterns", default="1-6")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="results/precision_check.json")
    parser.add_argument("--readme", type=Path, default=README, help="where to write the table")
    args = parser.parse_args()
    check_record_target(args.readme, "precision_check")  # fail before the two hours, not after them
    config.seed_everything(args.seed)
    faces, names = tuning_faces_named(args.data, args.n)
    G, D = load_pretrained()
    weights = dcgan.weights_fingerprint(G, D)
    rows, seconds = {}, {}
    for precision in PRECISIONS:
        began = time.perf_counter()
        run = evaluate(faces, names, G, D, config.cache_dir() / "precision-check" / weights[:16] / precision,
                       patterns=masks.parse_patterns(args.patterns), steps=args.steps, refine_steps=args.steps,
                       batch_size=args.n, seed=args.seed, table2=False, precision=precision)
        rows[precision], seconds[precision] = run["rows"], round(time.perf_counter() - began)
    patterns = compare(rows)
    worst = max(abs(p["relative_gap"]) for p in patterns.values())
    record = {"faces": f"validation {names[0]} … {names[-1]} ({len(names)} tuning faces)", "n": len(names),
              "steps": args.steps, "seed": args.seed, "weights": weights, "patterns": patterns, "worst_relative_gap": worst,
              "passes": worst <= TOLERANCE, "seconds_this_call": seconds}
    atomic_write_text(args.out, json.dumps(record, indent=2) + "\n")
    record_block(args.readme, "precision_check", readme_table(json.loads(json.dumps(record)), weights))
    for number, values in patterns.items():
        print(f"pattern {number}: MAE float32 {values['MAE_float32']:.3f}, bf16 {values['MAE_mixed_bfloat16']:.3f} "
              f"({100 * values['relative_gap']:+.2f} %)")
    print(f"worst gap {100 * worst:.2f} %: {'within' if record['passes'] else 'outside'} the 1 % bar")


if __name__ == "__main__":
    main()
