"""Export a finished training run as the kit's shipped weights, and write their model card.

    python scripts/export_weights.py --run runs/dcgan --log runs/dcgan_train.log

Reads the newest checkpoint of the run, writes inpaintkit/weights/{generator,discriminator}.weights.h5
atomically with a sha256 manifest, draws a sample grid from fixed z (generated faces only),
measures the held-out fit (500 steps on validation faces, trained against untrained G), and
writes MODEL_CARD.md with data, epochs, steps, learning rate, seed, wall time and licence.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np

from inpaintkit import config, dcgan, plotting
from inpaintkit.data import load_celeba
from inpaintkit.storage import atomic_path, atomic_write_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", default="runs/dcgan")
    parser.add_argument("--log", default="runs/dcgan_train.log")
    parser.add_argument("--data", default=str(config.data_dir()))
    parser.add_argument("--heldout", type=int, default=256)
    parser.add_argument("--fit-steps", type=int, default=500)
    args = parser.parse_args()
    config.seed_everything(0)
    run = Path(args.run)
    settings = json.loads((run / "train_config.json").read_text())
    G, D = dcgan.weights_from_checkpoint(run / "checkpoints", settings["width"])
    import tensorflow as tf

    latest = tf.train.latest_checkpoint(str(run / "checkpoints"))
    steps = int(latest.rsplit("-", 1)[1])
    log = Path(args.log).read_text(errors="replace") if Path(args.log).exists() else ""
    found = re.search(r"after (\d+) s", log)
    wall = int(found.group(1)) if found else None
    train_count = int(re.search(r"training on (\d+) faces", log).group(1)) if "training on" in log else None

    meta = {"epochs": settings["epochs"], "steps": steps, "batch_size": settings["batch_size"],
            "learning_rate": settings["learning_rate"], "betas": [settings["beta_1"], settings["beta_2"]],
            "seed": settings["seed"], "width": settings["width"], "train_images": train_count,
            "wall_time_s": wall, "data": "CelebA img_align_celeba, train partition",
            "licence": "CelebA: non-commercial research purposes only"}
    folder = dcgan.WEIGHTS_DIR
    dcgan.export_weights(G, D, folder, meta)
    G, D = dcgan.load_weights(folder)  # exactly what users get, checksums checked

    grid = G(dcgan.sample_z(64, seed=1), training=False).numpy()
    figure = plotting.show_grid(grid, ncols=8, size=1.0)
    with atomic_path(folder / "samples.png") as tmp:
        figure.savefig(tmp, dpi=90, bbox_inches="tight")

    heldout = load_celeba(args.data, "validation", args.heldout)
    began = time.perf_counter()
    trained = dcgan.heldout_fit(G, D, heldout, steps=args.fit_steps, progress=True)
    untrained = dcgan.heldout_fit(dcgan.build_generator(settings["width"]), D, heldout, steps=args.fit_steps,
                                  progress=True)
    fit_seconds = time.perf_counter() - began
    meta["heldout_fit"] = {"faces": len(heldout), "steps": args.fit_steps,
                           "mse_trained": round(trained["mean_mse"], 2),
                           "mse_untrained": round(untrained["mean_mse"], 2)}
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(meta)
    atomic_write_text(folder / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    atomic_write_text(folder / "MODEL_CARD.md", CARD.format(
        **meta, wall=f"{wall / 60:.0f} min" if wall else "see the training log",
        mse_t=trained["mean_mse"], mse_u=untrained["mean_mse"], ratio=untrained["mean_mse"] / trained["mean_mse"],
        n_fit=len(heldout), fit_steps=args.fit_steps, fit_time=fit_seconds / 60,
        sha_g=manifest["files"]["generator.weights.h5"], sha_d=manifest["files"]["discriminator.weights.h5"],
        lr_section=lr_section(meta["learning_rate"])))
    print((folder / "MODEL_CARD.md").read_text())


def lr_section(shipped: float) -> str:
    """The learning-rate comparison, from lr_comparison.json when it has been run."""
    head = "## Learning rate\n\nThe paper prints 0.002; DCGAN uses 0.0002. "
    try:
        record = dcgan.load_lr_comparison()
    except dcgan.WeightsError:
        return head + "Run `scripts/compare_learning_rates.py` to compare them.\n"
    rows = "\n".join(f"| {rate} | {r['heldout_mse']:.0f} | {r['d_real_last50']:.2f} / {r['d_fake_last50']:.2f} |"
                     for rate, r in record["rates"].items())
    return (head + f"`scripts/compare_learning_rates.py` trained both for {record['steps']} steps from the same "
            f"seed on the same batches, then fitted z to {record['heldout']} validation faces "
            f"({record['fit_steps']} steps) with each generator:\n\n"
            "| learning rate | held-out MSE (0–255) | D(real) / D(fake), last 50 steps |\n| --- | --- | --- |\n"
            f"{rows}\n\nSamples of both: `figures/lr_comparison.png`. The shipped run uses {shipped}.\n")


CARD = """# Model card: inpaintkit DCGAN (CelebA 64×64)

**Licence: these weights were trained on CelebA, which is available for non-commercial research
purposes only. The weights carry the same restriction.**

| | |
| --- | --- |
| architecture | DCGAN of Yeh et al. / Radford et al. (`inpaintkit/dcgan.py`), width {width} (the paper's) |
| data | {data}: {train_images} aligned faces (CelebA ids 000001–162770 present in the shared subset); validation faces never used |
| framing | central 108×108 of the 178×218 aligned crop (scaled with the file), resized to 64×64, [−1, 1] |
| training | {epochs} epochs, {steps} steps, batch {batch_size}, Adam lr {learning_rate}, β = {betas}, seed {seed} |
| loss | Eq. 1, non-saturating generator loss, from logits |
| wall time | {wall} on 2 CPU cores (no GPU) |
| files | `generator.weights.h5` (sha256 `{sha_g}`), `discriminator.weights.h5` (sha256 `{sha_d}`); checked on load |

Reproduce (about an hour on 2 cores; resumable with `--resume`):

```bash
python -m inpaintkit train --data $INPAINTKIT_DATA --out runs/dcgan --epochs {epochs} --seed {seed}
python scripts/export_weights.py --run runs/dcgan --log runs/dcgan_train.log
```

{lr_section}
## Samples

`samples.png`: G(z) for 64 fixed codes (z ~ U[−1, 1]¹⁰⁰, seed 1). Generated faces only.

![samples](samples.png)

## Held-out fit

z fitted to {n_fit} validation faces with no hole ({fit_steps} Adam steps, step 0.003, β = (0.5, 0.9),
z clipped to [−1, 1], L1 loss: the inpainting optimiser), mean MSE on 0–255:

| generator | mean MSE (0–255) |
| --- | --- |
| trained (these weights) | {mse_t:.1f} |
| untrained, same architecture | {mse_u:.1f} |

The trained generator's error is {ratio:.1f}× smaller ({fit_time:.0f} min to measure).
"""


if __name__ == "__main__":
    main()
