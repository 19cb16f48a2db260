"""Ship a training run's best generator as the kit's weights, if it is better on every measure.

    python tools/export_weights.py --run ~/.cache/inpaintkit/runs/recipe-flip_shipped

The candidate is the run's best generator (``RUN/best/``, kept by its tuning fits: G or its EMA,
whichever fitted the tuning faces better, with D of the same update). The rule: ship a candidate
that is better than the weights shipped now on both fits the kit has, each 500 Adam steps of
the inpainting optimiser on whole faces (no hole):

- the model card's fit: validation faces 0–127 (a measurement of the generator, never a tuning);
- the tuning fit: validation faces 100–227 (where every recipe choice was made).

Refused with one line, writing nothing: a run folder without a complete checkpoint, weights of
another architecture, or a candidate worse on either fit. Otherwise the weights go in as a whole
(``weights_io.export_weights``: written beside the shipped set, then swapped in), with
``samples.png``, the model card's block between its ``export`` markers and the README's
``dcgan`` block (``weights_io.describe_weights``). Then run ``tools/measure_fit_steps.py``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from inpaintkit import config
from inpaintkit.data import load_celeba, tuning_faces
from inpaintkit.dcgan import build_generator, width_of
from inpaintkit.errors import InputError
from inpaintkit.reports import check_record_target, record_block
from inpaintkit.training import checkpoint_numbers, heldout_fit
from inpaintkit.weights_io import (LICENCE, WEIGHTS_DIR, describe_weights, export_weights, load_pretrained,
                                   load_weights, read_manifest, save_sample_grid)

ROOT = Path(__file__).resolve().parents[1]
CARD = WEIGHTS_DIR / "MODEL_CARD.md"
README = ROOT / "README.md"
KEEP = ("MODEL_CARD.md", "samples.png", "fit_steps.json")  # the folder's other files move with the set


def candidate(run: Path):
    """(G, D, meta of best/, the run's settings), refused with one line where the run cannot ship."""
    if not (run / "train_config.json").exists():
        raise InputError(f"{run} is not a training run: it has no train_config.json")
    if not checkpoint_numbers(run / "checkpoints"):
        raise InputError(f"{run} holds no complete checkpoint: nothing to ship")
    if not (run / "best" / "manifest.json").exists():
        raise InputError(f"{run} has no best/ generator: train it with --tuning N so that its best G is kept")
    settings = json.loads((run / "train_config.json").read_text())
    shipped_width = read_manifest(WEIGHTS_DIR).get("width", 64)
    if settings.get("width", 64) != shipped_width:
        raise InputError(f"{run} trains width {settings.get('width')} networks, the kit ships width {shipped_width}")
    G, D = load_weights(run / "best", width=shipped_width)  # checksums and architecture checked here
    return G, D, read_manifest(run / "best"), settings


def training_seconds(logs: Path) -> int | None:
    """Wall time of a run from TensorBoard's event files: one file per session, each from its
    first to its last event (pauses between sessions are not counted)."""
    import tensorflow as tf

    total = 0.0
    for events in sorted(logs.glob("events.out.tfevents.*")):
        times = [e.wall_time for e in tf.compat.v1.train.summary_iterator(str(events)) if e.summary.value]
        total += max(times) - min(times) if times else 0.0
    return round(total) if total else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="a `train --tuning N` output folder")
    parser.add_argument("--data", default=str(config.data_dir() or ""), help="CelebA folder ($INPAINTKIT_DATA)")
    parser.add_argument("--faces", type=int, default=128, help="faces in each of the two fits (default 128)")
    parser.add_argument("--fit-steps", type=int, default=500)
    args = parser.parse_args()
    try:
        return export(args)
    except InputError as error:
        print(f"export_weights: {error}; nothing was written", file=sys.stderr)
        return 2


def export(args) -> int:
    if not args.data:
        raise InputError(f"no CelebA folder: pass --data or set {config.ENV_DATA}")
    check_record_target(CARD, "export")  # fail before the fits, not after them
    check_record_target(README, "dcgan")
    G, D, best, settings = candidate(args.run)
    config.seed_everything(0)
    shipped_meta = read_manifest(WEIGHTS_DIR)
    G_now, D_now = load_pretrained()
    sets = {"card": load_celeba(args.data, "validation", args.faces, progress=False),
            "tuning": tuning_faces(args.data, args.faces)}
    began = time.perf_counter()
    fits = {which: {name: round(heldout_fit(g, d, faces, steps=args.fit_steps, progress=True)["mean_mse"], 1)
                    for name, g, d in (("candidate", G, D), ("shipped", G_now, D_now),
                                       ("untrained", build_generator(width_of(G)), D))}
            for which, faces in sets.items()}
    for which, row in fits.items():
        print(f"{which} fit ({args.faces} faces, {args.fit_steps} steps): " + ", ".join(f"{k} {v}" for k, v in row.items()))
    worse = [which for which, row in fits.items() if row["candidate"] >= row["shipped"]]
    if worse:
        detail = "; ".join(f"{fits[w]['candidate']} ≥ {fits[w]['shipped']}" for w in worse)
        raise InputError(f"the candidate fits worse than the shipped weights on the {' and the '.join(worse)} "
                         f"faces ({detail})")
    first = shipped_meta.get("stages", [f"{shipped_meta['steps']:,} updates ({shipped_meta['epochs']} epochs) "
                                        "from scratch"])
    stage = (f"{best['step']:,} updates{' with horizontal flips' if settings.get('flip') else ''} from those weights"
             if settings.get("init") == "shipped" else f"{best['step']:,} updates from scratch")
    previous_wall = shipped_meta.get("wall_time_s") or 0
    wall = training_seconds(args.run / "logs")
    meta = {"stages": (first if settings.get("init") == "shipped" else []) + [stage],
            "generator": best["generator"], "step": best["step"], "batch_size": settings["batch_size"],
            "learning_rate": settings["learning_rate"], "betas": [settings["beta_1"], settings["beta_2"]],
            "ema_decay": settings.get("ema_decay"), "seed": settings["seed"], "width": settings["width"],
            "flip": settings.get("flip", False), "train_images": settings["train_images"],
            "wall_time_s": (previous_wall if settings.get("init") == "shipped" else 0) + (wall or 0),
            "data": "CelebA img_align_celeba, train partition", "licence": LICENCE,
            "heldout_fit": {"faces": args.faces, "steps": args.fit_steps, "candidate": fits["card"]["candidate"],
                            "shipped_before": fits["card"]["shipped"], "untrained": fits["card"]["untrained"]},
            "tuning_fit": {"faces": args.faces, "steps": args.fit_steps, "candidate": fits["tuning"]["candidate"],
                           "shipped_before": fits["tuning"]["shipped"], "untrained": fits["tuning"]["untrained"]},
            "replaces": shipped_meta["files"]["generator.weights.h5"]}
    manifest = export_weights(G, D, WEIGHTS_DIR, meta, keep=KEEP)
    G, D = load_pretrained()  # exactly what users get, checksums checked
    save_sample_grid(G, WEIGHTS_DIR / "samples.png")
    record_block(CARD, "export", card_block(meta, manifest, args.run, time.perf_counter() - began))
    record_block(README, "dcgan", describe_weights() + "\n")
    print(f"shipped: {manifest['files']['generator.weights.h5'][:12]}…; now run tools/measure_fit_steps.py")
    return 0


def card_block(meta: dict, manifest: dict, run: Path, fit_seconds: float) -> str:
    """The model card's one-screen account of what was shipped (between its ``export`` markers)."""
    fit, tune = meta["heldout_fit"], meta["tuning_fit"]
    which = f"the EMA of G's weights (decay {meta['ema_decay']})" if meta["generator"] == "ema" else "G itself"
    stages = "\n".join(f"{i}. {text}" for i, text in enumerate(meta["stages"], start=1))
    return f"""Training, in {len(meta['stages'])} stage(s) on the {meta['train_images']:,} train faces of the shared
subset (batch {meta['batch_size']}, Adam lr {meta['learning_rate']:g}, β = {tuple(meta['betas'])}, Eq. 1, seed {meta['seed']}):

{stages}

The shipped generator is {which}, chosen among the run's checkpoints by its fit to 128 tuning
faces (every 2,000 updates); D is the one of the same update. Wall time
{meta['wall_time_s'] / 3600:.1f} h on 2 CPU cores (no GPU). Files: `generator.weights.h5` (sha256
`{manifest['files']['generator.weights.h5'][:16]}…`), `discriminator.weights.h5` (sha256
`{manifest['files']['discriminator.weights.h5'][:16]}…`), checked on every load.

How well each generator fits faces it never saw (z fitted with the inpainting optimiser, no hole,
{fit['steps']} steps; mean MSE on 0–255, lower is better; measured by `tools/export_weights.py`
in {fit_seconds / 60:.0f} min before shipping):

| generator | card faces (validation 0–{fit['faces'] - 1}) | tuning faces (validation 100–{99 + tune['faces']}) |
| --- | --- | --- |
| shipped (this one) | {fit['candidate']:.1f} | {tune['candidate']:.1f} |
| first version (stage 1 alone) | {fit['shipped_before']:.1f} | {tune['shipped_before']:.1f} |
| untrained, same architecture | {fit['untrained']:.1f} | {tune['untrained']:.1f} |

Reproduce (resumable: the same command with `--resume`):

```bash
python -m inpaintkit train --out RUN1 --epochs 25 --seed 0                      # stage 1
python tools/export_weights.py --run RUN1                                         # ships it
python -m inpaintkit train --out RUN2 --init shipped --flip --epochs 100 --tuning 128 --max-steps {meta['step']}
python tools/export_weights.py --run RUN2                                         # stage 2, this one
```
"""


if __name__ == "__main__":
    sys.exit(main())
