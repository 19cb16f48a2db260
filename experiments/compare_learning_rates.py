"""Train the DCGAN briefly at the paper's printed learning rate (0.002) and at DCGAN's (0.0002),
same seed and batches, then measure each generator by a held-out fit (dcgan.heldout_fit) to
tuning faces: validation faces 100 onward, which the evaluation (faces 0–99) never reports.

    python scripts/compare_learning_rates.py --data $INPAINTKIT_DATA --steps 400 [--record inpaintkit/weights/MODEL_CARD.md]

Writes inpaintkit/weights/lr_comparison.json (numbers only) and figures/lr_comparison.png
(generated samples only: no CelebA pixel); with ``--record CARD`` also the table between the
model card's lr_comparison markers.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from inpaintkit import config, dcgan, plotting
from inpaintkit.data import EVALUATION_FACES, load_celeba, tuning_faces
from inpaintkit.reports import check_record_target, record_block
from inpaintkit.storage import atomic_path, atomic_write_text


def markdown(record: dict) -> str:
    """The model card's table of the comparison."""
    rows = "\n".join(f"| {rate} | {r['heldout_mse']:.0f} | {r['d_real_last50']:.2f} / {r['d_fake_last50']:.2f} |"
                     for rate, r in record["rates"].items())
    return (f"{record['steps']} training steps each from seed {record['seed']} on the same batches, then a "
            f"{record['fit_steps']}-step fit of z to {record['heldout']} tuning faces ({record['heldout_faces']}, "
            "never reported by the evaluation):\n\n"
            "| learning rate | held-out MSE (0–255) | D(real) / D(fake), last 50 steps |\n| --- | --- | --- |\n"
            f"{rows}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(config.data_dir()))
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--fit-steps", type=int, default=300)
    parser.add_argument("--heldout", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", type=Path, default=None, metavar="CARD",
                        help="also write the table between the lr_comparison markers of this model card")
    args = parser.parse_args()
    if args.record is not None:  # fail before the run, not after it
        check_record_target(args.record, "lr_comparison")
    config.seed_everything(args.seed)
    train = load_celeba(args.data, "train")
    heldout = tuning_faces(args.data, args.heldout)
    began = time.perf_counter()
    results = dcgan.compare_learning_rates(train, heldout, rates=(2e-3, 2e-4), steps=args.steps,
                                           fit_steps=args.fit_steps, seed=args.seed, progress=True)
    lines = [f"{args.steps} training steps each (batch 64, seed {args.seed}), then a {args.fit_steps}-step "
             f"fit of z to {len(heldout)} tuning faces (validation {EVALUATION_FACES}–{EVALUATION_FACES + len(heldout) - 1}):"]
    record = {"steps": args.steps, "fit_steps": args.fit_steps, "heldout": len(heldout),
              "heldout_faces": f"validation {EVALUATION_FACES}–{EVALUATION_FACES + len(heldout) - 1}", "seed": args.seed,
              "seconds": round(time.perf_counter() - began), "rates": {}}
    for rate, result in results.items():
        history = result["history"]
        last = slice(-50, None)
        entry = {"heldout_mse": round(result["heldout_mse"], 2),
                 "d_loss_last50": round(float(np.mean(history["d_loss"][last])), 4),
                 "g_loss_last50": round(float(np.mean(history["g_loss"][last])), 4),
                 "d_real_last50": round(float(np.mean(history["d_real"][last])), 4),
                 "d_fake_last50": round(float(np.mean(history["d_fake"][last])), 4),
                 "sample_spread": round(float(result["samples"].std(axis=0).mean()), 4)}
        record["rates"][f"{rate:g}"] = entry
        lines.append(f"  lr {rate:g}: held-out MSE {entry['heldout_mse']:.0f}, D(real) {entry['d_real_last50']:.2f}, "
                     f"D(fake) {entry['d_fake_last50']:.2f}, sample spread {entry['sample_spread']:.3f}")
    best = min(record["rates"], key=lambda r: record["rates"][r]["heldout_mse"])
    lines.append(f"kept: lr {best} (lower held-out MSE)")
    record["summary"] = "\n".join(lines)
    atomic_write_text(dcgan.LR_COMPARISON, json.dumps(record, indent=2) + "\n")
    figure = plotting.show_grid(np.concatenate([r["samples"][:8] for r in results.values()]), ncols=8,
                                size=1.0, row_titles=[f"lr {r:g}" for r in results])
    with atomic_path("figures/lr_comparison.png") as tmp:
        figure.savefig(tmp, dpi=100, bbox_inches="tight")
    print(record["summary"])
    if args.record is not None:
        record_block(args.record, "lr_comparison", markdown(record))


if __name__ == "__main__":
    main()
