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

A run's folder records everything that defines its numbers (``settings.json``, the format in
:mod:`inpaintkit.reports`: faces, partition, steps, Adam's step, seed, weights, precision, …),
every batch file carries the same settings, and a resume, a shard or a merge that differs in any
of them is refused, naming the key, except a larger n on the same first faces: the run grows,
keeping its batches. One process writes a folder at a time
(:func:`inpaintkit.storage.writer_lock`; the shards of one run each hold their own).
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .blending import poisson_blend
from .dcgan import with_precision
from .errors import InputError, check_count
from .inpainting import LEARNING_RATE, check_images
from .latent import Z_DIM, sample_z
from .masks import PATTERNS, make_mask, pattern
from .metrics import METRICS, image_metrics
from .pipeline import fig8
from .refinement import DEFAULT_INIT
from .reports import (GROWN_FROM, RUN_KEYS_BUT_SIZE, SCHEMA, baselines_match, batch_files, collect, read_baselines, read_batch,
                      read_settings, settings_differences)
from .shortcomings import shortcoming_measures
from .storage import atomic_create_text, atomic_write_text, check_writable, folder_moment, writer_lock
from .weights_io import load_pretrained, weights_fingerprint

__all__ = ["baseline_fills", "batch_file", "check_batch_names", "check_recorded_faces", "evaluate",
           "evaluate_baselines", "faces_fingerprint", "image_seed", "initial_z", "made_with_shipped_weights",
           "masks_for", "parse_shard", "run_batch", "run_settings", "shard_role"]


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


def _baseline_settings(faces, patterns, seed: int) -> dict:
    return {"schema": SCHEMA, "faces": faces_fingerprint(faces), "n": len(faces),
            "patterns": [int(w) for w in patterns], "seed": int(seed)}


def evaluate_baselines(faces, out, *, patterns=(1, 2, 3, 4, 5, 6), seed: int = 0) -> dict:
    """Per-image metrics of :func:`baseline_fills` on the run's faces and masks (the masks of
    :func:`masks_for`, so the same holes), written atomically to ``baselines.json`` with the
    settings that define them (faces, n, patterns, seed; :func:`inpaintkit.reports.baselines_match`)."""
    faces = check_images(faces, "faces")
    result: dict = {}
    for which in patterns:
        known = masks_for(which, range(len(faces)), seed)
        fills = baseline_fills(faces, known)
        result[str(which)] = {name: {metric: values.tolist() for metric, values
                                     in image_metrics(fill, faces, known).items()} for name, fill in fills.items()}
    record = {**result, "settings": _baseline_settings(faces, patterns, seed)}
    atomic_write_text(Path(out) / "baselines.json", json.dumps(record))
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


def shard_role(shard: tuple[int, int] | None) -> str:
    """The writer-lock role of a shard (:func:`inpaintkit.storage.writer_lock`): shards of one run
    write one folder side by side; a whole run, or the same shard twice, is refused."""
    return f"shard-{shard[0]}-of-{shard[1]}" if shard else ""


def faces_fingerprint(faces) -> str:
    """sha256 of the faces' pixels (float32, in order): which faces a run evaluated, whatever
    folder they were read from (another data folder or partition gives other pixels)."""
    return hashlib.sha256(np.ascontiguousarray(np.asarray(faces, np.float32)).tobytes()).hexdigest()


def run_settings(faces, *, patterns, steps: int, refine_steps: int, learning_rate: float, batch_size: int,
                 seed: int, table2: bool, precision: str, weights: str, data=None, partition: str | None = None,
                 budget: str | None = None, n_asked: int | None = None) -> dict:
    """The ``settings.json`` of a run (schema 2, described in :mod:`inpaintkit.reports`)."""
    return {"schema": SCHEMA, "data": None if data is None else str(Path(data).expanduser().resolve()),
            "partition": partition, "faces": faces_fingerprint(faces), "n": len(faces),
            "n_asked": n_asked, "patterns": [int(w) for w in patterns], "steps": int(steps),
            "refine_steps": int(refine_steps), "learning_rate": float(learning_rate), "budget": budget,
            "batch_size": int(batch_size), "seed": int(seed), "table2": bool(table2), "refine_init": DEFAULT_INIT,
            "precision": precision, "weights": weights}


def check_batch_names(out, names) -> None:
    """Refuse a run whose faces are not the ones the folder's finished batches name (another data
    folder, partition or order): the check that also covers runs recorded before ``faces``."""
    for path in batch_files(out):
        batch = read_batch(path)
        for index, name in zip(batch["indices"], batch["names"]):
            if index >= len(names) or names[index] != name:
                now = names[index] if index < len(names) else "missing (fewer faces)"
                raise InputError(f"{out} holds a run on other faces: face {index} is {name} in {path.name} but "
                                 f"{now} in this run (another --data, --partition or --n?); pick another --out")


def check_recorded_faces(out, faces, settings: dict) -> None:
    """Refuse faces whose pixels are not the run's. A run of schema 2 records their sha256; for one
    recorded before (schema 1) the pixels are checked against its baselines.json, when it has
    one: the grey fill's per-face MAE of the first pattern depends on every pixel in its hole."""
    if "faces" in settings:
        if faces_fingerprint(faces) != settings["faces"]:
            raise InputError(f"{out} holds a run on other faces (faces: {settings['faces'][:16]}… → "
                             f"{faces_fingerprint(faces)[:16]}…; another --data, --partition or --n?): "
                             "pick another --out")
        return
    stored = read_baselines(out)
    if stored is None or not baselines_match(out, settings):
        return  # nothing recorded to check the pixels against: the batches' names are the check
    which = settings["patterns"][0]
    known = masks_for(which, range(len(faces)), settings["seed"])
    grey = image_metrics(np.where(known[..., None], faces, np.float32(0.0)), faces, known)["MAE"]
    if not np.allclose(grey, stored[str(which)]["grey"]["MAE"], rtol=1e-6, atol=1e-9):
        raise InputError(f"{out} holds a run on other faces: their pixels differ from those its baselines.json was "
                         "computed on (another --data with the same file names?); pick another --out")


def _check_run(faces, names, patterns, steps, refine_steps, batch_size, learning_rate, seed):
    """Every setting of a run, checked before anything is written: (patterns, faces as float32)."""
    for label, value in (("steps", steps), ("refine_steps", refine_steps), ("batch_size", batch_size)):
        check_count(label, value)
    check_count("seed", seed, minimum=0)
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.floating, np.integer)) \
            or not (np.isfinite(learning_rate) and learning_rate > 0):
        raise InputError(f"learning_rate must be a positive finite number, got {learning_rate!r}")
    try:
        patterns = [int(w) for w in patterns]
    except (TypeError, ValueError):
        raise InputError(f"patterns must be hole pattern numbers out of {sorted(PATTERNS)}, got {patterns!r}") from None
    if not patterns or any(w not in PATTERNS for w in patterns) or len(set(patterns)) != len(patterns):
        raise InputError(f"patterns must be distinct hole patterns out of {sorted(PATTERNS)}, got {patterns}")
    if len(faces) == 0:
        raise InputError("no faces to evaluate")
    faces = check_images(faces, "faces")  # [0, 1] or 0–255 faces are refused before settings.json is written
    if len(names) != len(faces):
        raise InputError(f"{len(names)} names for {len(faces)} faces: every face needs the name of its file")
    return patterns, faces


def made_with_shipped_weights(settings: dict | None) -> bool:
    """Whether an evaluation run (its settings.json) was computed with the weights the kit ships
    now: a run from an older generator must not pass for the current one's tables."""
    return bool(settings) and settings.get("weights") == weights_fingerprint(*load_pretrained())


def evaluate(faces, names, G, D, out, *, patterns=(1, 2, 3, 4, 5, 6), steps: int = 1500,
             refine_steps: int = 1500, batch_size: int = 50, seed: int = 0, table2: bool = True,
             progress: bool = True, shard: tuple[int, int] | None = None, precision: str = "float32",
             learning_rate: float = LEARNING_RATE, data=None, partition: str | None = None,
             budget: str | None = None, n_asked: int | None = None, grow: bool = True) -> dict:
    """Run (or resume) the evaluation; returns the aggregated per-image rows and tables.

    ``names[i]`` is the file of ``faces[i]``. Settings are checked before anything is written.
    ``shard=(i, n)`` computes only every n-th batch job starting at the i-th, into the same
    folder: n processes with the same settings together compute exactly one whole run.
    ``precision="mixed_bfloat16"`` runs G and D in bfloat16 (dcgan.with_precision); it is a setting
    of the run, so a folder never mixes batches of two precisions. ``learning_rate``: Adam's step
    on z (the paper's 0.003; the lab budget's is larger). ``data``, ``partition``, ``budget`` and
    ``n_asked`` (where the faces came from, the budget's name, the count asked for) are recorded
    with the settings; a partition is compared on resume, the others are notes. More faces than
    the folder's run, the run's faces first, grow it (``grow=False`` refuses that instead: the
    command line grows a run only when --n is given).
    """
    patterns, faces = _check_run(faces, names, patterns, steps, refine_steps, batch_size, learning_rate, seed)
    table2 = bool(table2)
    weights = weights_fingerprint(G, D)  # of the float32 weights, whatever the precision
    G, D = with_precision(G, D, precision)  # checks the name before anything is written
    out = Path(out)
    settings = run_settings(faces, patterns=patterns, steps=steps, refine_steps=refine_steps,
                            learning_rate=learning_rate, batch_size=batch_size, seed=seed, table2=table2,
                            precision=precision, weights=weights, data=data, partition=partition, budget=budget,
                            n_asked=n_asked)
    with writer_lock(out, f"evaluate {out}" + (f" --shard {shard[0]}/{shard[1]}" if shard else ""),
                     role=shard_role(shard)):
        check_writable(out)
        _resume_or_start(out, settings, faces, names, grow)
        _run_jobs(out, settings, faces, names, G, D, shard, progress)
    return collect(out)


def _resume_or_start(out: Path, settings: dict, faces, names, grow: bool = True) -> None:
    """Write the settings of a new run, or check that a resumed one (or another shard) matches,
    growing it when only n differs (:func:`_grown_settings`; with ``grow`` False that is refused).
    Every check runs before settings.json is changed: a refused call leaves the folder as it was."""
    settings_file = out / "settings.json"
    if not settings_file.exists():
        if batch_files(out):
            raise InputError(f"{out / 'batches'} holds batches but {out} has no settings.json, so they cannot be "
                             "checked: pick another --out")
        if atomic_create_text(settings_file, json.dumps(settings, indent=2)):
            return
        # Another shard started the same folder a moment ago: check against its settings.
    with folder_moment(out, f"evaluate {out} (checking its settings)"):  # a shard growing it: wait, then read
        saved = read_settings(out)
        if saved.get("weights") != settings["weights"]:
            # Resuming would silently mix two generators' batches in one table.
            raise InputError(f"{out} holds a run made with other weights (G and D sha256 "
                             f"{str(saved.get('weights', 'not recorded'))[:16]}…, these are "
                             f"{settings['weights'][:16]}…): pick another --out, or delete it to evaluate these "
                             "weights")
        differ = settings_differences(saved, settings)
        growing = bool(differ) and not settings_differences(saved, settings, keys=RUN_KEYS_BUT_SIZE)
        if differ and not growing:
            raise InputError(f"{out} holds a run with other settings ({'; '.join(differ)}); resume it with its own "
                             "settings or pick another --out")
        if growing and not grow and settings["n"] > saved["n"]:
            raise InputError(f"{out} holds a run on {saved['n']} faces, not {settings['n']}: pass --n {saved['n']} to "
                             f"resume it, or --n {settings['n']} to grow it to {settings['n']} faces")
        grown = _grown_settings(out, saved, settings, faces) if growing else None  # checks only
        check_batch_names(out, names)
        if grown is None:
            check_recorded_faces(out, faces, saved)
        if saved.get("data") and settings["data"] and saved["data"] != settings["data"]:
            print(f"note: {out} was started on the faces of {saved['data']}; the same faces come from "
                  f"{settings['data']} now")
        if grown is not None:
            atomic_write_text(settings_file, json.dumps(grown, indent=2))
            print(f"note: {out} grows from {saved['n']} to {settings['n']} faces; its {len(batch_files(out))} "
                  "finished batches are kept")


def _grown_settings(out: Path, saved: dict, settings: dict, faces) -> dict:
    """The settings of the run in ``out`` grown to the larger n of ``settings``, keeping its batches,
    with the smaller runs it grew from (:data:`inpaintkit.reports.GROWN_FROM`); nothing is written.

    Growth keeps every number of the smaller run: masks and starting z are drawn per face index
    and each face's optimisation is its own, so the smaller run's batches are the first batches of
    the larger one, computed again to the same values. It is refused when that is not so: fewer
    faces (a run does not shrink), faces that are not the first ones, a run that does not record
    its faces (schema 1), a smaller run whose last batch is short of ``batch_size``.
    """
    before, after = saved["n"], settings["n"]
    if after < before:
        asked = settings.get("n_asked")
        if asked is not None and asked >= before:
            raise InputError(f"{out} holds a run on {before} faces, but the data gives only {after} of the {asked} "
                             "asked for now (a file missing or unreadable?): point --data at the run's faces")
        raise InputError(f"{out} holds a run on {before} faces, more than the {after} asked for: a run may grow, not "
                         f"shrink; resume it with --n {saved.get('n_asked') or before} or pick another --out")
    if "faces" not in saved:
        raise InputError(f"{out} holds a run that does not record its faces (made by an older version of the kit), "
                         f"so it cannot grow from {before} to {after} faces: pick another --out")
    if faces_fingerprint(faces[:before]) != saved["faces"]:
        raise InputError(f"{out} holds a run on other faces: its {before} faces are not the first {before} of these "
                         "(another --data, --partition or order?); pick another --out")
    if before % settings["batch_size"]:
        raise InputError(f"{out} holds a run on {before} faces, not a whole number of batches of "
                         f"{settings['batch_size']}: its last batch would be short in the larger run, so it cannot "
                         "grow; pick another --out")
    return {**settings, GROWN_FROM: saved.get(GROWN_FROM, []) + [{"n": before, "faces": saved["faces"]}]}


def _run_jobs(out: Path, settings: dict, faces, names, G, D, shard, progress: bool) -> None:
    patterns, batch_size = settings["patterns"], settings["batch_size"]
    recorded = dict(settings)  # every batch carries the settings it was made with
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
        result = run_batch(G, D, faces[indices], which, indices, steps=settings["steps"],
                           refine_steps=settings["refine_steps"], seed=settings["seed"], table2=settings["table2"],
                           learning_rate=settings["learning_rate"])
        result["seconds"] = time.perf_counter() - began
        result["names"] = [names[i] for i in indices]
        result["settings"] = recorded
        atomic_write_text(target, json.dumps(result))
