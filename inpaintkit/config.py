"""Settings read from the environment, in one place.

Nothing else in the kit reads the environment. Three variables steer it:

``INPAINTKIT_DATA``
    Folder of a CelebA download laid out like CelebA's own
    (``img_align_celeba/NNNNNN.jpg`` and, optionally, ``list_eval_partition.txt``).
    Unset: the kit falls back to its built-in portraits and says so once.
``INPAINTKIT_BUDGET``
    How much work the notebooks and widgets do: ``fast`` (CI under nbval: seconds, smeared
    fills), ``lab`` (a class: paper-quality fills in a fraction of the steps; the default) or
    ``paper`` (the paper's §3.2/§3.3 settings, 1500 + 1500 steps). ``INPAINTKIT_FAST=1`` is an
    older way to say ``fast``. Any other value is refused, naming the variable.
``INPAINTKIT_CACHE``
    Where decoded faces and long runs are cached (default ``~/.cache/inpaintkit``).

The budgets are resolved at the front (command line, widgets, notebooks) and passed down as
numbers: the optimisers themselves take explicit step counts.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Budget", "BudgetError", "ENV_BUDGET", "ENV_CACHE", "ENV_DATA", "ENV_FAST", "BUDGETS",
           "budget", "budget_name", "cache_dir", "data_dir", "fast_mode", "seed_everything"]

ENV_DATA = "INPAINTKIT_DATA"
ENV_BUDGET = "INPAINTKIT_BUDGET"
ENV_FAST = "INPAINTKIT_FAST"
ENV_CACHE = "INPAINTKIT_CACHE"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class BudgetError(ValueError):
    """An environment variable of the kit holds a value it does not understand."""


@dataclass(frozen=True)
class Budget:
    """How much work each stage does, by name: ``fast`` (CI), ``lab`` (a class), ``paper`` (§3.2/§3.3)."""

    name: str
    epochs: int               # DCGAN training epochs (§3.2: 25)
    train_images: int | None  # None = the whole train partition
    batch_size: int           # §3.2: 64
    inpaint_steps: int        # Adam steps on z, inpainting (§3.3: 1500)
    refine_steps: int         # Adam steps on z, refinement (§3.3: 1500)
    learning_rate: float      # Adam's step on z (§1.2: 0.003)
    fit_steps: int            # held-out fit of z to whole faces (model card: 500)
    eval_images: int          # faces per pattern in live evaluations
    demo_images: int          # faces shown in notebook panels
    demo_train_images: int    # the short training run of notebook 01
    demo_train_steps: int

    @staticmethod
    def paper() -> "Budget":
        return Budget(name="paper", epochs=25, train_images=None, batch_size=64, inpaint_steps=1500,
                      refine_steps=1500, learning_rate=0.003, fit_steps=500, eval_images=100, demo_images=8,
                      demo_train_images=2048, demo_train_steps=64)

    @staticmethod
    def lab() -> "Budget":
        # A fifth of the paper's steps at ten times its Adam step: the cheapest budget within 2 % of the
        # paper's hole MAE on every pattern in tools/measure_budgets.py's curve on tuning faces
        # (results/steps_curve.json; docs/budgets.md). Its price on the evaluation's faces: results/eval-lab.
        return Budget(name="lab", epochs=25, train_images=None, batch_size=64, inpaint_steps=300,
                      refine_steps=300, learning_rate=0.03, fit_steps=200, eval_images=16, demo_images=8,
                      demo_train_images=2048, demo_train_steps=64)

    @staticmethod
    def fast() -> "Budget":
        return Budget(name="fast", epochs=1, train_images=256, batch_size=32, inpaint_steps=60,
                      refine_steps=60, learning_rate=0.01, fit_steps=40, eval_images=4, demo_images=4,
                      demo_train_images=128, demo_train_steps=8)


BUDGETS = {"fast": Budget.fast, "lab": Budget.lab, "paper": Budget.paper}
DEFAULT_BUDGET = "lab"


def budget_name() -> str:
    """The budget the environment asks for: ``INPAINTKIT_BUDGET``, else ``fast`` when
    ``INPAINTKIT_FAST`` is true, else ``lab``. Unknown or contradictory values are refused."""
    asked = os.environ.get(ENV_BUDGET, "").strip().lower()
    fast = os.environ.get(ENV_FAST, "").strip().lower()
    if fast not in _TRUE | _FALSE:
        raise BudgetError(f"{ENV_FAST}={os.environ[ENV_FAST]!r} is neither true (1, yes) nor false (0, no); "
                          f"use {ENV_BUDGET}=fast|lab|paper")
    if asked and asked not in BUDGETS:
        raise BudgetError(f"{ENV_BUDGET}={os.environ[ENV_BUDGET]!r} is not a budget: use one of "
                          f"{', '.join(BUDGETS)}")
    if asked and fast in _TRUE and asked != "fast":
        raise BudgetError(f"{ENV_BUDGET}={asked} and {ENV_FAST}={os.environ[ENV_FAST]} disagree: unset one")
    if asked:
        return asked
    return "fast" if fast in _TRUE else DEFAULT_BUDGET


def budget(name: str | None = None) -> Budget:
    """The named budget, or the one the environment asks for (:func:`budget_name`)."""
    name = budget_name() if name is None else str(name).strip().lower()
    if name not in BUDGETS:
        raise BudgetError(f"unknown budget {name!r}: use one of {', '.join(BUDGETS)}")
    return BUDGETS[name]()


def fast_mode() -> bool:
    """True when the environment asks for the ``fast`` budget."""
    return budget_name() == "fast"


def data_dir() -> Path | None:
    """The CelebA folder named by ``INPAINTKIT_DATA``, or None when it is unset."""
    value = os.environ.get(ENV_DATA, "").strip()
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """Where decoded 64×64 faces and long runs are cached."""
    value = os.environ.get(ENV_CACHE, "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cache" / "inpaintkit"


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's CPU kernels deterministic."""
    import keras
    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
