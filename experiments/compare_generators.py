"""Does a better generator make refinement gain more? The README's hypothesis (issue 12), tested
with a generator that fits held-out faces better than the shipped one but not by enough to ship.

    python scripts/compare_generators.py --data $INPAINTKIT_DATA \
        --weights ~/.cache/inpaintkit/runs/recipe-flip_shipped/best --n 50 --patterns 1-5

The candidate runs the committed evaluation (results/eval) again on its first N faces per pattern,
with that run's seed, steps and batch size, so every face gets the same hole and the same
starting z as there; the shipped G's numbers are those rows of the committed run. Only the
generator (and its D) differ, so each face gives a paired difference. The candidate's evaluation
is an ordinary resumable folder under the cache ($INPAINTKIT_CACHE/generator-check/WEIGHTS,
WEIGHTS the first 16 hex digits of its G and D's fingerprint). Writes
results/generator_check.json (numbers only, no CelebA pixel) and the model card's table (between
its refinement_by_generator markers).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from inpaintkit import config, dcgan, masks
from inpaintkit.data import DataError, load_celeba_named
from inpaintkit.errors import InputError
from inpaintkit.evaluation import evaluate
from inpaintkit.reports import (GENERATOR_CHECK, RESULTS, check_record_target, generator_comparison,
                                generator_comparison_markdown, load_results, record_block)
from inpaintkit.storage import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "inpaintkit" / "weights" / "MODEL_CARD.md"


def candidate_label(folder: Path) -> str:
    """Which generator a weights folder holds, in the card's words, from its manifest."""
    manifest = dcgan.read_manifest(folder)
    which = "EMA G" if manifest.get("generator") == "ema" else "G"
    if "step" not in manifest:
        return f"The generator in `{folder.name}`"
    return f"The {which} at {int(manifest['step']):,} updates of `{folder.resolve().parent.name}`"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=config.data_dir(),
                        help="CelebA folder (default: $INPAINTKIT_DATA)")
    parser.add_argument("--weights", type=Path, required=True, help="the candidate's weights folder")
    parser.add_argument("--n", type=int, default=50, help="evaluation faces per pattern (the first N)")
    parser.add_argument("--patterns", default="1-5")
    parser.add_argument("--out", type=Path, default=GENERATOR_CHECK)
    parser.add_argument("--record", type=Path, default=CARD, help="where to write the table")
    args = parser.parse_args()
    check_record_target(args.record, "refinement_by_generator")  # fail before the hour, not after it
    if args.data is None:
        raise DataError(f"no data folder: pass --data DIR or set {config.ENV_DATA}")
    committed = load_results(RESULTS)
    settings = committed["settings"]
    if settings is None:
        raise InputError(f"{RESULTS} holds no evaluation run to compare with")
    if args.n > settings["n"]:
        raise InputError(f"--n {args.n}: the committed evaluation has only {settings['n']} faces per pattern")
    config.seed_everything(settings["seed"])
    G, D = dcgan.load_weights(args.weights)
    weights = dcgan.weights_fingerprint(G, D)
    if weights == settings["weights"]:
        raise InputError(f"{args.weights} holds the generator of the committed evaluation: nothing to compare")
    faces, names = load_celeba_named(args.data, "validation", args.n)
    began = time.perf_counter()
    run = evaluate(faces, names, G, D, config.cache_dir() / "generator-check" / weights[:16],
                   patterns=masks.parse_patterns(args.patterns), steps=settings["steps"],
                   refine_steps=settings["refine_steps"], batch_size=settings["batch_size"], seed=settings["seed"],
                   table2=False, precision=settings["precision"])
    record = {"candidate": candidate_label(args.weights), "weights": weights, "shipped_weights": settings["weights"],
              "faces": f"evaluation faces 0–{len(names) - 1} (validation {names[0]} … {names[-1]}) per pattern",
              "steps": settings["steps"], "seed": settings["seed"],
              "patterns": generator_comparison(committed["rows"], run["rows"]),
              "seconds": round(run["seconds"]),
              "seconds_this_call": round(time.perf_counter() - began)}
    atomic_write_text(args.out, json.dumps(record, indent=2) + "\n")
    table = generator_comparison_markdown(record)
    record_block(args.record, "refinement_by_generator", table)
    print(table)


if __name__ == "__main__":
    main()
