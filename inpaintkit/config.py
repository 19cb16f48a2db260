"""Settings read from the environment, in one place.

Two environment variables steer the kit; nothing else reads the environment:

``INPAINTKIT_DATA``
    Folder of a CelebA download laid out like CelebA's own
    (``img_align_celeba/NNNNNN.jpg`` and, optionally, ``list_eval_partition.txt``).
    Unset or missing: the kit falls back to its built-in sample faces and says so once.
``INPAINTKIT_FAST``
    ``1`` (or ``true``/``yes``) shrinks steps, images and epochs so that every notebook
    runs in minutes (CI runs them this way). Unset: the paper's full settings.

``INPAINTKIT_CACHE`` optionally moves the decoded-image cache (default ``~/.cache/inpaintkit``).
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

ENV_DATA = "INPAINTKIT_DATA"
ENV_FAST = "INPAINTKIT_FAST"
ENV_CACHE = "INPAINTKIT_CACHE"

_TRUE = {"1", "true", "yes", "on"}


def fast_mode() -> bool:
    """True when ``INPAINTKIT_FAST`` asks for the shrunken settings."""
    return os.environ.get(ENV_FAST, "").strip().lower() in _TRUE


def data_dir() -> Path | None:
    """The CelebA folder named by ``INPAINTKIT_DATA``, or None when it is unset."""
    value = os.environ.get(ENV_DATA, "").strip()
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """Where decoded 64×64 arrays are cached."""
    value = os.environ.get(ENV_CACHE, "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cache" / "inpaintkit"


@dataclass(frozen=True)
class Budget:
    """How much work each stage does. ``paper()`` is §3.2/§3.3 of the paper; ``fast()`` is for CI."""

    epochs: int            # DCGAN training epochs (§3.2: 25)
    train_images: int | None  # None = the whole train partition
    batch_size: int        # §3.2: 64
    inpaint_steps: int     # latent optimisation steps, inpainting (§3.3: 1500)
    refine_steps: int      # latent optimisation steps, refinement (§3.3: 1500)
    fit_steps: int         # held-out fit of z to whole faces (model card: 500)
    eval_images: int       # images per pattern in live evaluations
    demo_images: int       # faces shown in notebook panels
    demo_train_images: int  # the short training run of notebook 01
    demo_train_steps: int

    @staticmethod
    def paper() -> "Budget":
        return Budget(epochs=25, train_images=None, batch_size=64, inpaint_steps=1500,
                      refine_steps=1500, fit_steps=500, eval_images=100, demo_images=8,
                      demo_train_images=2048, demo_train_steps=64)

    @staticmethod
    def fast() -> "Budget":
        return Budget(epochs=1, train_images=256, batch_size=32, inpaint_steps=60,
                      refine_steps=60, fit_steps=40, eval_images=4, demo_images=4,
                      demo_train_images=128, demo_train_steps=8)


def budget() -> Budget:
    """The paper's budget, or the fast one when ``INPAINTKIT_FAST`` is set."""
    return Budget.fast() if fast_mode() else Budget.paper()


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's CPU kernels deterministic."""
    import numpy as np
    import tensorflow as tf
    import keras

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
