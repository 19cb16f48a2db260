"""Measure how refinement should start (§2 leaves it open): from the inpainting stage's z or
from a fresh z ~ U[−1, 1]. Runs the paper's settings on tuning faces (validation faces 100 onward,
which the evaluation never reports) for the given patterns and writes results/refinement_init.json
(numbers only, no CelebA pixel).

    python scripts/compare_refinement_init.py --n 32 --patterns 1,4,5 --steps 1500
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from inpaintkit import config, load_pretrained, masks, refinement
from inpaintkit.data import EVALUATION_FACES, tuning_faces
from inpaintkit.inpainting import inpaint_stage
from inpaintkit.storage import atomic_write_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(config.data_dir()))
    parser.add_argument("--n", type=int, default=32)
    parser.add_argument("--patterns", default="1,4,5")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config.seed_everything(args.seed)
    faces = tuning_faces(args.data, args.n)
    G, D = load_pretrained()
    began = time.perf_counter()
    record = {"n": len(faces), "faces": f"validation {EVALUATION_FACES}–{EVALUATION_FACES + len(faces) - 1}",
              "steps": args.steps, "seed": args.seed, "patterns": {}}
    lines = [f"{len(faces)} tuning faces per pattern (validation {EVALUATION_FACES}–{EVALUATION_FACES + len(faces) - 1}), {args.steps} inpainting + {args.steps} refinement steps:"]
    totals = {init: [] for init in refinement.INITS}
    for number in masks.parse_patterns(args.patterns):
        known = masks.make_masks(number, len(faces), seed=args.seed)
        inpainted, z_g, _, x_b = inpaint_stage(faces, known, G, D, steps=args.steps, seed=args.seed)
        result = refinement.compare_inits(x_b, known, G, D, mu=masks.pattern(number).mu, original=faces,
                                          z_inpainting=z_g, steps=args.steps, seed=args.seed,
                                          progress=True)
        record["patterns"][number] = result
        for init, values in result.items():
            totals[init].append(values["MAE"])
            lines.append(f"  pattern {number}, init {init:10}: MAE {values['MAE']:.2f}  PSNR {values['PSNR']:.2f}  "
                         f"MSSIM {values['MSSIM']:.4f}  consensus {values['consensus']:.1f}")
    best = min(totals, key=lambda init: np.mean(totals[init]))
    lines.append(f"lower mean MAE over the patterns: init '{best}'")
    record["best"] = best
    record["seconds"] = round(time.perf_counter() - began)
    record["summary"] = "\n".join(lines)
    atomic_write_text(refinement.INIT_COMPARISON, json.dumps(record, indent=2) + "\n")
    print(record["summary"])


if __name__ == "__main__":
    main()
