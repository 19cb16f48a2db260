"""The refinement GAN, the paper's contribution (§2, Eq. 7–9).

Refinement optimises z once more, now against x_b, the *blended* result of the inpainting stage:

    L_refinement(z) = Σ_{i known} |G(z)_i − x_b,i|              global consensus (Eq. 7)
                    + µ · Σ_{i missing} |G(z)_i − x_b,i|          inpainting consensus (Eq. 8)
                    + λ · log(1 − D(G(z)))                        perceptual loss (Eq. 5)   (Eq. 9)

The paper's text swaps the names of the known and missing sets in Eq. 7 and 8; we follow its prose
(see the notes in notebook 05): every known pixel counts fully, the already inpainted pixels count
with the confidence µ, smaller for larger gaps (0.66 / 0.33 / 0.2 by pattern, §3.3).
Sums run over pixels and colour channels. The result G(z_r) is blended again (Fig. 8).

How z starts is not printed in the paper. ``init="inpainting"`` continues from the inpainting
stage's z; ``init="fresh"`` draws a new z ~ U[−1, 1]. Both were measured on tuning faces
(experiments/README.md): they end level within 0.01 MAE, and "fresh" is the default by that margin.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._tf import tf
from .errors import InputError, check_count
from .inpainting import LEARNING_RATE, check_images, check_seed, check_z, optimize_latent
from .losses import LAMBDA, perceptual_loss
from .masks import broadcast_masks, pattern

__all__ = ["DEFAULT_INIT", "REFINE_INITS", "RefineResult", "check_mu", "paper_mu", "refine", "refinement_loss"]

REFINE_INITS = ("inpainting", "fresh")
# Measured on 32 tuning faces (validation 100–131, never reported by the evaluation) × patterns 1, 4,
# 5 with 1500 + 1500 steps (experiments/results/refinement_init.json): both starts end within 0.01
# MAE of each other, and a fresh z has the lower mean MAE, so it is the default.
DEFAULT_INIT = "fresh"


def paper_mu(which) -> float:
    """µ of §3.3 for a hole pattern (1–6 or its key): 0.66 for (1) and (5), 0.33 for (2) and (4),
    0.2 for (3) and (6)."""
    return pattern(which).mu


def refinement_loss(x, x_b, known, mu, logits, lam: float = LAMBDA):
    """Eq. 9 per image: Eq. 7 + µ·Eq. 8 + λ·Eq. 5.

    Parameters
    ----------
    x : tensor (N, 64, 64, 3)
        G(z), the image being refined.
    x_b : tensor (N, 64, 64, 3)
        The blended result of the inpainting stage.
    known : (N, 64, 64), 1 on known pixels and 0 on missing ones.
    mu : (N,) or a number, the confidence in the inpainted region (Eq. 8's weight).
    logits : tensor (N, 1), D's logits on x.
    lam : float, λ (the paper: 0.003).

    Returns
    -------
    tensor (N,)
        Σ_known |x − x_b| + µ·Σ_missing |x − x_b| + λ·log(1 − D(x)), sums over pixels and channels.

    References
    ----------
    The paper's Eq. 7 (global consensus), Eq. 8 (inpainting consensus) and Eq. 9 (§2).
    """
    known = tf.cast(known, x.dtype)[..., None]
    l1 = tf.abs(x - x_b)
    global_consensus = tf.reduce_sum(known * l1, axis=[1, 2, 3])           # Eq. 7
    inpainting_consensus = tf.reduce_sum((1.0 - known) * l1, axis=[1, 2, 3])  # Eq. 8
    return global_consensus + tf.cast(mu, x.dtype) * inpainting_consensus + lam * perceptual_loss(logits)


def check_mu(mu, count: int) -> np.ndarray:
    """µ as (count,) float32: one value for every image or exactly one per image, finite, ≥ 0."""
    try:
        values = np.asarray(mu, dtype=np.float32)
    except (TypeError, ValueError):
        raise InputError(f"µ must be a number or one number per image, got {mu!r}") from None
    if values.ndim > 1 or (values.ndim == 1 and len(values) not in (1, count)):
        raise InputError(f"µ must be one value or one per image ({count}), got shape {values.shape}")
    values = np.broadcast_to(values.reshape(-1) if values.ndim else values, (count,)).copy()
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise InputError(f"µ must be a finite number ≥ 0 (one value or one per image), got {mu}")
    return values


@dataclass
class RefineResult:
    x_r: np.ndarray       # G(z_r), the refined synthetic image
    z: np.ndarray         # z_r
    losses: np.ndarray    # (steps, N) Eq. 9 per image and step
    mu: np.ndarray        # (N,)
    snapshots: dict


def refine(x_b, known, G, D, *, mu, steps: int, learning_rate: float = LEARNING_RATE, lam: float = LAMBDA,
           init: str = DEFAULT_INIT, z_init=None, z_fresh=None, seed: int = 0, progress: bool = True,
           snapshot_every: int | None = None) -> RefineResult:
    """Optimise z for Eq. 9 against the blended inpainting result ``x_b``.

    Parameters
    ----------
    x_b : array (N, 64, 64, 3) or (64, 64, 3) in [−1, 1]
        The blend of the inpainting stage (Fig. 8).
    known : bool array (64, 64) or (N, 64, 64), True on clean pixels.
    G, D : the generator and discriminator.
    mu : a number or one per image; the paper's by pattern is :func:`paper_mu`.
    steps : int, Adam steps (the paper: 1500).
    learning_rate : float, Adam's step on z (the paper: 0.003).
    init : {"fresh", "inpainting"}
        Where z starts (§2 does not say): a new draw (``z_fresh`` or from ``seed``), or the
        inpainting stage's z, passed as ``z_init``.

    Returns
    -------
    RefineResult
        x_r = G(z_r), z_r, the loss trace and µ.

    References
    ----------
    The paper's Eq. 9 (§2) and Fig. 8.
    """
    x_b = check_images(x_b, "x_b")
    known = broadcast_masks(known, len(x_b))
    mu = check_mu(mu, len(x_b))
    check_count("steps", steps)
    check_seed(seed)
    if not isinstance(lam, (int, float, np.number)) or not np.isfinite(lam) or lam < 0:
        raise InputError(f"λ must be a finite number ≥ 0, got {lam!r}")
    z_fresh = check_z(z_fresh, len(x_b), "z_fresh")
    return _refine(x_b, known, G, D, mu=mu, steps=steps, learning_rate=learning_rate, lam=lam, init=init,
                   z_init=z_init, z_fresh=z_fresh, seed=seed, progress=progress, snapshot_every=snapshot_every)


def _refinement_objective(x, logits, x_b, known, mu, lam):
    """Eq. 9 (:func:`refinement_loss`) in the argument order of a ``loss_fn``."""
    return refinement_loss(x, x_b, known, mu, logits, lam)


def _start(init: str, count: int, z_dim: int, z_init, z_fresh):
    """The z refinement starts from: None (a draw by the seed), ``z_fresh`` or the inpainting z."""
    if init not in REFINE_INITS:
        raise InputError(f"init must be one of {REFINE_INITS}, got {init!r}")
    if init == "fresh":
        return None if z_fresh is None else np.asarray(z_fresh, dtype=np.float32)
    if z_init is None:
        raise InputError("init='inpainting' continues from the inpainting stage: pass its z as z_init")
    return check_z(z_init, count, "z_init")


def _refine(x_b: np.ndarray, known: np.ndarray, G, D, *, mu: np.ndarray, steps: int, learning_rate: float,
            lam: float, init: str, z_init=None, z_fresh=None, seed: int = 0, progress: bool = True,
            snapshot_every: int | None = None) -> RefineResult:
    """:func:`refine` on inputs the caller has checked (Fig. 8 checks them once)."""
    count = len(x_b)
    z0 = _start(init, count, G.input_shape[-1], z_init, z_fresh)
    # The data go in as arguments of the compiled step, so it is traced once for every later batch.
    args = (tf.constant(x_b), tf.constant(known.astype(np.float32)), tf.constant(mu), tf.constant(lam, tf.float32))
    result = optimize_latent(G, D, _refinement_objective, count, z0=z0, seed=seed, steps=steps,
                             learning_rate=learning_rate, loss_args=args, progress=progress,
                             snapshot_every=snapshot_every, desc="refining")
    return RefineResult(x_r=result.x, z=result.z, losses=result.losses, mu=mu, snapshots=result.snapshots)
