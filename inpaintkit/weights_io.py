"""Saving, checking and loading the DCGAN's weights (the shipped ones and a run's).

A weights folder holds ``generator.weights.h5``, ``discriminator.weights.h5`` and
``manifest.json`` (their sha256 and how they were made). It is written as a whole: the new set
goes into a folder beside the old one, which is then swapped in (``storage.swap_folder``), so a
kill never leaves new weights beside an old manifest. Every load checks the checksums.

The shipped weights (``inpaintkit/weights/``) were trained on CelebA: non-commercial research
purposes only (``MODEL_CARD.md`` beside them).
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from ._tf import tf
from .dcgan import PAPER_WIDTH, build_discriminator, build_generator
from .errors import InputError
from .latent import sample_z
from .plotting import show_grid
from .storage import atomic_path, atomic_write_text, new_folder_beside, recover_folder, sha256_file, swap_folder

__all__ = ["FILES", "WEIGHTS_DIR", "WeightsError", "describe_weights", "export_weights", "generator_sha256",
           "load_fit_steps", "load_pretrained", "load_weights", "read_manifest", "save_sample_grid",
           "weights_fingerprint", "weights_from_checkpoint"]

WEIGHTS_DIR = Path(__file__).parent / "weights"
FILES = ("generator.weights.h5", "discriminator.weights.h5")
LICENCE = "CelebA: non-commercial research purposes only"


class WeightsError(InputError):
    """Weights are missing, damaged, or not the architecture asked for."""


def export_weights(G, D, folder: str | Path, meta: dict | None = None, *, keep: tuple[str, ...] = ()) -> dict:
    """Write G and D with a manifest of sha256 sums (and ``meta``) into ``folder``, as a whole.

    The set is written into a new folder beside ``folder`` and swapped in only once complete;
    ``keep`` names further files of the old folder (a model card, a sample grid) copied across
    first. Returns the manifest.
    """
    folder = Path(folder)
    recover_folder(folder)
    new = new_folder_beside(folder)
    try:
        for name in keep:
            if (folder / name).exists():
                shutil.copy2(folder / name, new / name)
        manifest = {"files": {}, **(meta or {})}
        for name, model in zip(FILES, (G, D)):
            model.save_weights(new / name)
            manifest["files"][name] = sha256_file(new / name)
        atomic_write_text(new / "manifest.json", json.dumps(manifest, indent=2) + "\n")
        swap_folder(new, folder)
    finally:
        shutil.rmtree(new, ignore_errors=True)
    return manifest


def read_manifest(folder: str | Path = WEIGHTS_DIR) -> dict:
    """The manifest of a folder written by :func:`export_weights`, refused unless it lists the
    sha256 of both weights files (the files themselves are checked by :func:`load_weights`)."""
    folder = Path(folder)
    if recover_folder(folder):
        print(f"note: {folder} was being replaced when a run stopped; the previous weights were put back")
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise WeightsError(f"no manifest.json in {folder}: the weights are missing")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise WeightsError(f"{manifest_path} is damaged: {error}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not set(FILES) <= set(files):
        raise WeightsError(f"{manifest_path} does not list the sha256 of both {' and '.join(FILES)}: "
                           "the weights cannot be checked, so they are not loaded")
    return manifest


def generator_sha256(folder: str | Path = WEIGHTS_DIR) -> str:
    """The sha256 of the generator in ``folder`` as its manifest lists it: which G a stored
    measurement was made on."""
    return read_manifest(folder)["files"][FILES[0]]


def weights_fingerprint(*models) -> str:
    """sha256 of the models' weights (values, shapes and order): which G and D produced a stored
    result, for models in memory as much as for files."""
    digest = hashlib.sha256()
    for model in models:
        for weight in model.weights:
            value = np.ascontiguousarray(np.asarray(weight.numpy(), dtype=np.float32))
            digest.update(str(value.shape).encode())
            digest.update(value.tobytes())
    return digest.hexdigest()


def load_weights(folder: str | Path = WEIGHTS_DIR, width: int | None = None):
    """(G, D) from a folder written by :func:`export_weights`; every file's sha256 is checked, and
    weights of another architecture than the manifest's width are refused with their path."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    for name in FILES:
        path = folder / name
        if not path.exists():
            raise WeightsError(f"weights file {path} is missing")
        actual = sha256_file(path)
        if actual != manifest["files"][name]:
            raise WeightsError(f"weights file {path} is damaged: sha256 {actual[:12]}… "
                               f"but the manifest says {manifest['files'][name][:12]}…")
    width = width or manifest.get("width", PAPER_WIDTH)
    G, D = build_generator(width), build_discriminator(width)
    for model, name in ((G, FILES[0]), (D, FILES[1])):
        try:
            model.load_weights(folder / name)
        except ValueError as error:  # Keras names the first layer whose shapes differ
            first = " ".join(str(error).split())[:200]  # Keras lists every layer: keep one line
            raise WeightsError(f"{folder / name} is not a width-{width} DCGAN of the kit "
                               f"(G and D swapped, or another width?): {first}") from None
    return G, D


def load_pretrained():
    """The shipped generator and discriminator, trained on CelebA (see weights/MODEL_CARD.md)."""
    return load_weights(WEIGHTS_DIR)


def weights_from_checkpoint(checkpoint_dir: str | Path, width: int = PAPER_WIDTH, *, ema: bool = False):
    """(G, D, step) restored from the newest checkpoint of a training run; ``ema`` takes the
    averaged G kept beside the raw one."""
    G, D = build_generator(width), build_discriminator(width)
    latest = tf.train.latest_checkpoint(str(checkpoint_dir))
    if latest is None:
        raise WeightsError(f"no complete checkpoint in {checkpoint_dir}")
    objects = {"generator_ema" if ema else "generator": G, "discriminator": D}
    tf.train.Checkpoint(**objects).restore(latest).expect_partial()
    return G, D, int(latest.rsplit("-", 1)[1])


def describe_weights(folder: str | Path = WEIGHTS_DIR) -> str:
    """How the weights in ``folder`` were trained and how well they fit held-out faces, in one
    paragraph read from their manifest, so that the README and notebook 01 never quote a replaced
    generator's recipe."""
    meta = read_manifest(folder)
    stages = meta.get("stages") or [f"{meta['steps']:,} updates ({meta['epochs']} epochs) from scratch"]
    which = "the exponential moving average of G's weights" if meta.get("generator") == "ema" else "G itself"
    wall = f", {meta['wall_time_s'] / 3600:.1f} h on 2 CPU cores" if meta.get("wall_time_s") else ""
    fit = meta["heldout_fit"]
    trained = fit.get("candidate", fit.get("mse_trained"))
    untrained = fit.get("untrained", fit.get("mse_untrained"))
    return (f"{'; then '.join(stages)} on the {meta['train_images']:,} CelebA train faces of the subset (batch "
            f"{meta['batch_size']}, Adam lr {meta['learning_rate']:g}, seed {meta['seed']}{wall}); the shipped "
            f"generator is {which}. Fitting z to {fit['faces']} held-out validation faces with the inpainting "
            f"optimiser ({fit['steps']} steps) gives a mean MSE of {trained:,.0f} (0–255) against "
            f"{untrained:,.0f} for an untrained generator of the same architecture.")


def load_fit_steps(path: str | Path | None = None, weights: str | Path = WEIGHTS_DIR) -> dict:
    """How the held-out fit of the shipped G (and of an untrained G) improves with the number of
    Adam steps (written by ``tools/measure_fit_steps.py``). Refused when it was measured on other
    weights than those in ``weights``, so a notebook never quotes a stale generator's numbers."""
    path = Path(weights) / "fit_steps.json" if path is None else Path(path)
    if not path.exists():
        raise WeightsError(f"{path} is missing: run tools/measure_fit_steps.py")
    record = json.loads(path.read_text())
    if record.get("generator_sha256") != generator_sha256(weights):
        raise WeightsError(f"{path} was measured on another generator than the one in {weights}: "
                           "run tools/measure_fit_steps.py again")
    return record


def save_sample_grid(G, path: str | Path, count: int = 64, seed: int = 1) -> None:
    """G(z) for ``count`` fixed codes, as the model card's ``samples.png`` (generated faces only)."""
    figure = show_grid(G(sample_z(count, seed=seed), training=False).numpy(), ncols=8, size=1.0)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=90, bbox_inches="tight")
