"""How many Adam steps a held-out fit needs before the trained G beats an untrained one
(notebook 01, "Can G represent faces it never saw?"): dcgan.heldout_fit of the shipped G and of
an untrained G of the same architecture, from the same starting z, after 40, 100, 200 and 500
steps, on all the built-in faces (public-domain portraits) and, with CelebA, on 8 tuning faces (validation 100–107,
never reported by the evaluation).

    python tools/measure_fit_steps.py [--data $INPAINTKIT_DATA]

Writes inpaintkit/weights/fit_steps.json (numbers only), tied to the shipped generator by its
sha256: weights_io.load_fit_steps refuses it once other weights are shipped; and docs/training.md
sentence on the built-in faces (between its portrait_fit markers).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from inpaintkit import config
from inpaintkit.dcgan import build_generator
from inpaintkit.data import sample_faces, tuning_faces
from inpaintkit.reports import check_record_target, record_block
from inpaintkit.storage import atomic_write_text
from inpaintkit.training import heldout_fit
from inpaintkit.weights_io import WEIGHTS_DIR, generator_sha256, load_pretrained

STEPS = (40, 100, 200, 500)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "training.md"


def builtin_sentence(record: dict) -> str:
    """The README's sentence on how the shipped G fits the built-in faces, from the record."""
    name = next(name for name in record["faces"] if "built-in" in name)
    rows = record["faces"][name]
    count = name.split()[1]
    return (f"On them the shipped G fits whole faces with MSE {rows['200']['trained']:,.0f} against "
            f"{rows['200']['untrained']:,.0f} for an untrained G (200 steps, all {count}; "
            f"{rows['500']['trained']:,.0f} against {rows['500']['untrained']:,.0f} at 500 steps).")


def curve(G, G0, D, faces, seed: int) -> dict:
    """Mean MSE (0–255) of the trained and the untrained G after each number of steps: one fit of
    each G, read at every step count (a 40-step fit is the first 40 steps of a 500-step one)."""
    fits = {name: heldout_fit(g, D, faces, steps=max(STEPS), seed=seed, report_at=STEPS[:-1])["mean_mse_at"]
            for name, g in (("trained", G), ("untrained", G0))}
    return {str(n): {name: round(fit[n], 1) for name, fit in fits.items()} for n in STEPS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(config.data_dir() or ""))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    check_record_target(DOCS, "portrait_fit")  # fail before the fits, not after them
    config.seed_everything(args.seed)
    G, D = load_pretrained()
    G0 = build_generator()  # untrained, the paper's width like the shipped G
    builtin = sample_faces()
    sets = {f"all {len(builtin)} built-in faces": builtin}
    if args.data:
        sets["CelebA tuning faces (validation 100–107)"] = tuning_faces(args.data, 8)
    record = {"generator_sha256": generator_sha256(), "seed": args.seed,
              "steps": list(STEPS), "faces": {name: curve(G, G0, D, faces, args.seed) for name, faces in sets.items()}}
    atomic_write_text(WEIGHTS_DIR / "fit_steps.json", json.dumps(record, indent=2) + "\n")
    record_block(DOCS, "portrait_fit", builtin_sentence(record) + "\n")
    for name, rows in record["faces"].items():
        print(name)
        for n, row in rows.items():
            print(f"  {n:>4} steps: trained {row['trained']:7.1f}  untrained {row['untrained']:7.1f}  "
                  f"({100 * (1 - row['trained'] / row['untrained']):+.0f} %)")


if __name__ == "__main__":
    main()
