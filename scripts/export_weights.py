"""Ship a training run's best generator as the kit's weights, only if it is better (issue 12).

    python scripts/export_weights.py --run ~/.cache/inpaintkit/runs/recipe-flip [--require 0.25]

The candidate is the run's best generator (``RUN/best/``, kept by the tuning fits: the raw G or
its EMA, whichever fitted the tuning faces better), else its newest checkpoint. The candidate and
the weights shipped now are both fitted to the model card's held-out faces (validation faces 0–127,
500 steps; a measurement, not a choice). Unless the candidate's mean MSE is at least ``--require``
(25 %) lower, nothing is written. Otherwise: inpaintkit/weights/{generator,discriminator}.weights.h5
atomically with a sha256 manifest, samples.png (generated faces only) and the model card's block
between its ``export`` markers; the card's other sections (learning rate, recipe A/B tables,
benchmark) are written by their own scripts and kept.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from inpaintkit import config, dcgan, plotting
from inpaintkit.data import load_celeba
from inpaintkit.reports import check_record_target, record_block
from inpaintkit.storage import atomic_path

CARD = dcgan.WEIGHTS_DIR / "MODEL_CARD.md"
README = Path(__file__).resolve().parents[1] / "README.md"


# A best/ written before the tuning flags were recorded: the reproduce line shows placeholders.
UNRECORDED = {"faces": "FACES", "every": "N", "steps": "STEPS"}


def candidate(run: Path, width: int):
    """(G, D, where, step, which, tuning) of the run's best generator, else of its newest
    checkpoint; ``tuning`` is how best/ was chosen ({faces, every, steps}), None for a checkpoint."""
    best = run / "best"
    if (best / "manifest.json").exists():
        meta = dcgan.read_manifest(best)  # a damaged manifest is refused with its path, not a KeyError
        G, D = dcgan.load_weights(best, width=width)
        return (G, D, f"{best.name}/ (tuning fit {meta['tuning_fit_mse']:.0f})", meta["step"], meta["generator"],
                meta.get("tuning", UNRECORDED))
    G, D, step = dcgan.weights_from_checkpoint(run / "checkpoints", width)
    return G, D, "newest checkpoint", step, "raw", None


def training_seconds(logs: Path) -> int | None:
    """Wall time of the training, from TensorBoard's event files: one file per session, each
    from its first to its last event (pauses between sessions are not counted)."""
    import tensorflow as tf

    total = 0.0
    for events in sorted(logs.glob("events.out.tfevents.*")):
        times = [e.wall_time for e in tf.compat.v1.train.summary_iterator(str(events)) if e.summary.value]
        total += max(times) - min(times) if times else 0.0
    return round(total) if total else None


def flags(settings: dict, tuning: dict | None = None) -> str:
    """The ``train`` flags that rebuild the run's recipe, and the tuning fits that chose the
    shipped generator (``tuning``; None when it is the newest checkpoint). A branch
    (``--branch-from``) is told as the run it left, stopped where it left it, then its own flags."""
    source = settings.get("branched_from")
    before = (f"{flags(source['settings'])} --max-steps {source['step']}, then --branch-from that run with "
              if source else "")
    parts = [f"--epochs {settings['epochs']}", f"--seed {settings['seed']}", *dcgan.recipe_flags(settings)]
    if tuning:
        parts += [f"--tuning {tuning['faces']} --tune-every {tuning['every']} --tune-steps {tuning['steps']}"]
    return before + " ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", type=Path, required=True, help="a train --out folder")
    parser.add_argument("--data", default=str(config.data_dir()))
    parser.add_argument("--heldout", type=int, default=128)
    parser.add_argument("--fit-steps", type=int, default=500)
    parser.add_argument("--require", type=float, default=0.25, help="fraction the held-out MSE must drop by")
    args = parser.parse_args()
    check_record_target(CARD, "export")  # fail before the fits, not after them
    check_record_target(README, "dcgan")
    config.seed_everything(0)
    settings = json.loads((args.run / "train_config.json").read_text())
    G, D, where, step, which, tuning = candidate(args.run, settings["width"])
    G_now, D_now = dcgan.load_pretrained()
    heldout = load_celeba(args.data, "validation", args.heldout, progress=False)
    began = time.perf_counter()
    fits = {name: dcgan.heldout_fit(g, d, heldout, steps=args.fit_steps, progress=True)["mean_mse"]
            for name, g, d in (("candidate", G, D), ("shipped now", G_now, D_now),
                               ("untrained", dcgan.build_generator(settings["width"]), D))}
    drop = 1 - fits["candidate"] / fits["shipped now"]
    print(f"held-out fit MSE on {len(heldout)} faces, {args.fit_steps} steps: "
          + ", ".join(f"{k} {v:.1f}" for k, v in fits.items()) + f"; drop {100 * drop:.1f} %")
    if drop < args.require:
        raise SystemExit(f"not shipped: the candidate's fit drops by {100 * drop:.1f} %, "
                         f"{100 * args.require:.0f} % needed; nothing was written")

    wall = training_seconds(args.run / "logs")
    meta = {"epochs": settings["epochs"], "steps": step, "generator": which, "batch_size": settings["batch_size"],
            "learning_rate": settings["learning_rate"], "betas": [settings["beta_1"], settings["beta_2"]],
            "seed": settings["seed"], "width": settings["width"], "flip": settings.get("flip", False),
            "ema_decay": settings.get("ema_decay"), "g_steps": settings.get("g_steps", 1),
            "lr_decay_start": settings.get("lr_decay_start", 0), "augment": settings.get("augment", False),
            "precision": settings.get("precision", "float32"), "init": settings.get("init", "scratch"),
            "train_images": settings.get("train_images"), "wall_time_s": wall,
            "data": "CelebA img_align_celeba, train partition", "licence": "CelebA: non-commercial research purposes only",
            "heldout_fit": {"faces": len(heldout), "steps": args.fit_steps,
                            **{k.replace(" ", "_"): round(v, 2) for k, v in fits.items()}}}
    folder = dcgan.WEIGHTS_DIR
    manifest = dcgan.export_weights(G, D, folder, meta)
    G, D = dcgan.load_weights(folder)  # exactly what users get, checksums checked
    figure = plotting.show_grid(G(dcgan.sample_z(64, seed=1), training=False).numpy(), ncols=8, size=1.0)
    with atomic_path(folder / "samples.png") as tmp:
        figure.savefig(tmp, dpi=90, bbox_inches="tight")
    record_block(CARD, "export", block(meta, manifest, fits, drop, where, settings, tuning, time.perf_counter() - began))
    record_block(README, "dcgan", dcgan.describe_weights(folder) + "\n")
    print(CARD.read_text())
    print("Shipped. Now measure what notebook 01 quotes about these weights: python scripts/measure_fit_steps.py")


def block(meta, manifest, fits, drop, where, settings, tuning, fit_seconds) -> str:
    recipe = ", ".join([f"Adam lr {meta['learning_rate']}, β = {meta['betas']}, batch {meta['batch_size']}, "
                        f"seed {meta['seed']}", *dcgan.recipe_words(meta, every=True)])
    wall = f"{meta['wall_time_s'] / 3600:.1f} h" if meta["wall_time_s"] else "not logged"
    return f"""| | |
| --- | --- |
| architecture | DCGAN of Yeh et al. / Radford et al. (`inpaintkit/dcgan.py`), width {meta['width']} (the paper's) |
| data | {meta['data']}: {meta['train_images']} aligned faces (the shared subset); validation faces never trained on |
| framing | central 108×108 of the 178×218 aligned crop (scaled with the file), resized to 64×64, [−1, 1] |
| training | {meta['steps']:,} updates; {recipe} |
| shipped generator | {'the exponential moving average of G (decay ' + str(meta['ema_decay']) + ')' if meta['generator'] == 'ema' else 'the raw G'}, from the run's {where} |
| loss | Eq. 1, non-saturating generator loss, from logits |
| wall time | {wall} on 2 CPU cores (no GPU), tuning fits included |
| files | `generator.weights.h5` (sha256 `{manifest['files']['generator.weights.h5']}`), `discriminator.weights.h5` (sha256 `{manifest['files']['discriminator.weights.h5']}`); checked on load |

Reproduce (resumable with `--resume`; hours on 2 cores):

```bash
python -m inpaintkit train --data $INPAINTKIT_DATA --out RUN {flags(settings, tuning)}
python scripts/export_weights.py --run RUN
```

## Samples

`samples.png`: G(z) for 64 fixed codes (z ~ U[−1, 1]¹⁰⁰, seed 1). Generated faces only.

![samples](samples.png)

## Held-out fit

z fitted to {meta['heldout_fit']['faces']} validation faces (numbers 0–{meta['heldout_fit']['faces'] - 1}) with no hole
({meta['heldout_fit']['steps']} Adam steps, step 0.003, β = (0.5, 0.9), z clipped to [−1, 1], L1 loss: the inpainting
optimiser), mean MSE on 0–255, measured by `scripts/export_weights.py` before shipping:

| generator | mean MSE (0–255) |
| --- | --- |
| these weights | {fits['candidate']:.1f} |
| the weights shipped before them | {fits['shipped now']:.1f} |
| untrained, same architecture | {fits['untrained']:.1f} |

{100 * drop:.0f} % lower than the weights they replace ({fit_seconds / 60:.0f} min to measure).
"""


if __name__ == "__main__":
    main()
