"""Reproducing the paper's Table 1 and Table 2 (§3.4) on held-out CelebA faces.

For every hole pattern and every batch of faces the full pipeline (Fig. 8) runs with the paper's
µ; metrics are computed on 0–255 over the whole image (as the paper reports) and over the hole
only. Table 2 (centre pattern) compares inpainting for 1500 steps, for 3000 steps, and 1500
steps of inpainting followed by 1500 of refinement; the 1500-step result is the first half of
the 3000-step run (same seed, same z), so it costs no extra optimisation.

A run is resumable: each finished batch is written atomically as a small JSON of metrics (no
images, so results can be committed without any CelebA pixel), and a restarted run skips the
batches that are already there. Masks and initial z are drawn per image from (seed, pattern,
image index), so the numbers do not depend on the batch size.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .blending import poisson_blend
from .dcgan import with_precision
from .errors import InputError, check_count
from .inpainting import LEARNING_RATE
from .latent import Z_DIM, sample_z
from .masks import PATTERNS, make_mask, pattern
from .metrics import METRICS, image_metrics
from .pipeline import fig8
from .refinement import DEFAULT_INIT
from .reports import collect
from .shortcomings import shortcoming_measures
from .storage import atomic_write_text
from .weights_io import load_pretrained, weights_fingerprint

__all__ = ["baseline_fills", "batch_file", "evaluate", "evaluate_baselines", "image_seed", "initial_z",
           "made_with_shipped_weights", "masks_for", "parse_shard", "run_batch"]


def image_seed(seed: int, which: int, index: int) -> list[int]:
    """The random stream of one image of one pattern: independent of how images are batched."""
    return [seed, which, index]


def masks_for(which: int, indices, seed: int) -> np.ndarray:
    return np.stack([make_mask(which, np.random.default_rng(image_seed(seed, which, i))) for i in indices])


def initial_z(which: int, indices, seed: int, stage: int) -> np.ndarray:
    return np.concatenate([sample_z(1, seed=image_seed(seed, which, i) + [stage], z_dim=Z_DIM) for i in indices])


def run_batch(G, D, faces, which: int, indices, *, steps: int, refine_steps: int, seed: int,
              table2: bool, learning_rate: float = LEARNING_RATE, progress: bool = False) -> dict:
    """Inpaint → blend → refine → blend one batch of one pattern (:func:`~inpaintkit.pipeline.fig8`);
    metrics only, per image."""
    known = masks_for(which, indices, seed)
    long_run = table2 and which == 5
    run = fig8(faces, known, G, D, mu=pattern(which).mu, inpaint_steps=steps, refine_steps=refine_steps,
               learning_rate=learning_rate, refine_init=DEFAULT_INIT, seed=seed, z0=initial_z(which, indices, seed, 0),
               z_fresh=initial_z(which, indices, seed, 1), longer_inpainting=steps if long_run else 0,
               progress=progress)
    out: dict = {"pattern": which, "indices": [int(i) for i in indices]}
    stages = {"before": run.x_b, "after": run.x}
    if long_run:
        stages["inpaint3000"] = run.x_b_longer
    for stage, images in stages.items():
        for region in ("image", "missing"):
            values = image_metrics(images, faces, known, region=region)
            for name in METRICS:
                out[f"{stage}_{region}_{name}"] = values[name].tolist()
    # The §1.4 measures per stage: consensus, D's view of G(z) against the blend, colour gaps.
    for stage, synthetic, blended in (("before", run.x_g, run.x_b), ("after", run.x_r, run.x)):
        for key, values in shortcoming_measures(D, faces, known, synthetic, blended).items():
            out[f"{stage}_{key}"] = values.tolist()
    return out


def baseline_fills(faces, known) -> dict[str, np.ndarray]:
    """Fills that use no generator, on the same faces and masks: the yardstick for what the GAN
    adds. "smooth" minimises ‖L x‖² with the known pixels fixed (L the 8-neighbour Laplacian),
    the smoothest surface through the hole's border: Poisson blending with nothing to blend."""
    faces = np.asarray(faces, np.float32)
    known = np.asarray(known, bool)
    means = np.stack([f[k].mean(axis=0) for f, k in zip(faces, known)])[:, None, None, :]
    return {"grey": np.where(known[..., None], faces, np.float32(0.0)),
            "mean_colour": np.where(known[..., None], faces, means).astype(np.float32),
            "smooth": poisson_blend(faces, known, np.zeros_like(faces), kind="laplacian")}


def evaluate_baselines(faces, out, *, patterns=(1, 2, 3, 4, 5, 6), seed: int = 0) -> dict:
    """Per-image metrics of :func:`baseline_fills` on the run's faces and masks (the masks of
    :func:`masks_for`, so the same holes), written atomically to ``baselines.json``."""
    result: dict = {}
    for which in patterns:
        known = masks_for(which, range(len(faces)), seed)
        fills = baseline_fills(faces, known)
        result[str(which)] = {name: {metric: values.tolist() for metric, values
                                     in image_metrics(fill, faces, known).items()} for name, fill in fills.items()}
    atomic_write_text(Path(out) / "baselines.json", json.dumps(result))
    return result


def batch_file(out: Path, which: int, number: int) -> Path:
    return out / "batches" / f"pattern{which}_batch{number:03d}.json"


def parse_shard(spec: str | None) -> tuple[int, int] | None:
    """``"i/n"`` (1 ≤ i ≤ n) → (i, n): this process computes every n-th job, starting at the i-th."""
    if spec is None:
        return None
    try:
        i, n = (int(part) for part in str(spec).split("/"))
    except ValueError:
        raise InputError(f"--shard must look like i/n (e.g. 1/2), got {spec!r}") from None
    if not 1 <= i <= n:
        raise InputError(f"--shard {spec}: need 1 <= i <= n (shards are numbered 1 to n)")
    return i, n


def _check_run(faces, names, patterns, steps, refine_steps, batch_size, learning_rate) -> list[int]:
    """Every setting of a run, checked before anything is written."""
    for label, value in (("steps", steps), ("refine_steps", refine_steps), ("batch_size", batch_size)):
        check_count(label, value)
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise InputError(f"learning_rate must be a positive finite number, got {learning_rate!r}")
    patterns = [int(w) for w in patterns]
    if not patterns or any(w not in PATTERNS for w in patterns) or len(set(patterns)) != len(patterns):
        raise InputError(f"patterns must be distinct hole patterns out of {sorted(PATTERNS)}, got {patterns}")
    if len(faces) == 0:
        raise InputError("no faces to evaluate")
    if len(names) != len(faces):
        raise InputError(f"{len(names)} names for {len(faces)} faces: every face needs the name of its file")
    return patterns


def made_with_shipped_weights(settings: dict | None) -> bool:
    """Whether an evaluation run (its settings.json) was computed with the weights the kit ships
    now: a run from an older generator must not pass for the current one's tables."""
    return bool(settings) and settings.get("weights") == weights_fingerprint(*load_pretrained())


def evaluate(faces, names, G, D, out, *, patterns=(1, 2, 3, 4, 5, 6), steps: int = 1500,
             refine_steps: int = 1500, batch_size: int = 50, seed: int = 0, table2: bool = True,
             progress: bool = True, shard: tuple[int, int] | None = None, precision: str = "float32",
             learning_rate: float = LEARNING_RATE) -> dict:
    """Run (or resume) the evaluation; returns the aggregated per-image rows and tables.

    ``names[i]`` is the file of ``faces[i]``. Settings are checked before anything is written.
    ``shard=(i, n)`` computes only every n-th batch job starting at the i-th, into the same
    folder: n processes with the same settings together compute exactly one whole run.
    ``precision="mixed_bfloat16"`` runs G and D in bfloat16 (dcgan.with_precision); it is a setting
    of the run, so a folder never mixes batches of two precisions. ``learning_rate``: Adam's step
    on z (the paper's 0.003; the lab budget's is larger).
    """
    patterns = _check_run(faces, names, patterns, steps, refine_steps, batch_size, learning_rate)
    weights = weights_fingerprint(G, D)  # of the float32 weights, whatever the precision
    G, D = with_precision(G, D, precision)  # checks the name before anything is written
    out = Path(out)
    settings = {"n": len(faces), "patterns": patterns, "steps": int(steps), "refine_steps": int(refine_steps),
                "batch_size": int(batch_size), "seed": seed, "table2": table2, "refine_init": DEFAULT_INIT,
                "precision": precision, "weights": weights}
    if learning_rate != LEARNING_RATE:  # recorded when it is not the paper's, so older runs still resume
        settings["learning_rate"] = float(learning_rate)
    settings_file = out / "settings.json"
    if settings_file.exists():
        try:
            saved = json.loads(settings_file.read_text())
        except ValueError:
            raise InputError(f"{settings_file} is damaged; pick another --out") from None
        saved.setdefault("precision", "float32")  # runs from before the setting existed were float32
        if saved.get("weights") != weights:
            # Resuming would silently mix two generators' batches in one table.
            raise InputError(f"{out} holds a run made with other weights (G and D sha256 "
                             f"{str(saved.get('weights', 'not recorded'))[:16]}…, these are {weights[:16]}…): "
                             "pick another --out, or delete it to evaluate these weights")
        if {k: v for k, v in saved.items() if k != "seconds"} != settings:
            raise InputError(f"{out} holds a run with other settings {saved}; pick another --out")
    else:
        atomic_write_text(settings_file, json.dumps(settings, indent=2))
    (out / "batches").mkdir(parents=True, exist_ok=True)
    # Batch by batch across the patterns, so that a run stopped early covers every pattern equally.
    jobs = [(w, b) for b in range(-(-len(faces) // batch_size)) for w in patterns]
    if shard is not None:
        i, n = shard
        jobs = jobs[i - 1::n]
    bar = tqdm(jobs, desc="evaluation batches", disable=not progress)
    for which, number in bar:
        target = batch_file(out, which, number)
        if target.exists():
            continue
        indices = np.arange(number * batch_size, min(len(faces), (number + 1) * batch_size))
        began = time.perf_counter()
        result = run_batch(G, D, faces[indices], which, indices, steps=steps, refine_steps=refine_steps,
                           seed=seed, table2=table2, learning_rate=learning_rate)
        result["seconds"] = time.perf_counter() - began
        result["names"] = [names[i] for i in indices]
        atomic_write_text(target, json.dumps(result))
    return collect(out)
