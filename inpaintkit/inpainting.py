"""Semantic inpainting by optimising the latent code (Eq. 2; Yeh et al.).

    ẑ = argmin_z L_inpainting(G(z) | y, S),   x_g = G(ẑ)

One optimiser serves inpainting (Eq. 3) and refinement (Eq. 9): Adam with step 0.003,
β₁ = 0.5, β₂ = 0.9, z drawn from U[−1, 1] and clipped back into [−1, 1] after every step.
A whole batch is optimised at once: the objective is the sum of the per-image losses, and Adam
works element by element, so every image follows exactly the path it would follow alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import config
from .dcgan import Z_DIM, sample_z
from .losses import LAMBDA, WINDOW, content_loss, content_weights, perceptual_loss
from .masks import broadcast_masks

LEARNING_RATE, BETA_1, BETA_2 = 0.003, 0.5, 0.9
_EPSILON = 1e-7  # Adam's ε, as in Keras


def check_images(images, name: str = "y") -> np.ndarray:
    """A batch (N, 64, 64, 3) of float32 in [−1, 1]; one image (64, 64, 3) becomes a batch of one."""
    array = np.asarray(images)
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[1:] != (64, 64, 3):
        raise ValueError(f"{name} must have shape (N, 64, 64, 3) or (64, 64, 3), got {np.shape(images)}")
    array = array.astype(np.float32)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if low < -1.0 - 1e-4 or high > 1.0 + 1e-4:
        hint = " (it looks like 0–255: use image / 127.5 − 1)" if high > 2 else ""
        raise ValueError(f"{name} must lie in [-1, 1], found [{low:.3g}, {high:.3g}]{hint}")
    return np.clip(array, -1.0, 1.0)


@dataclass
class LatentResult:
    z: np.ndarray                  # (N, 100), the final codes
    x: np.ndarray                  # G(z), (N, 64, 64, 3)
    losses: np.ndarray             # (steps, N): the loss of each image before each update
    snapshots: dict = field(default_factory=dict)   # step → G(z) at that step
    z_at: dict = field(default_factory=dict)        # step → z after that many steps


def optimize_latent(G, D, loss_fn: Callable, count: int, *, z0=None, seed: int = 0, steps: int | None = None,
                    learning_rate: float = LEARNING_RATE, beta_1: float = BETA_1, beta_2: float = BETA_2,
                    snapshot_every: int | None = None, keep_z_at=(), progress: bool = True,
                    desc: str = "optimising z") -> LatentResult:
    """Minimise Σₙ loss_fn(G(z), D(G(z)))ₙ over z with Adam, clipping z to [−1, 1] after each step.

    ``loss_fn(x, logits)`` returns one loss per image. ``z0`` (N, 100) or a draw from ``seed``.
    ``keep_z_at``: steps after which z is recorded (a 1500-step result inside a 3000-step run).
    """
    import tensorflow as tf
    from tqdm.auto import tqdm

    steps = config.budget().inpaint_steps if steps is None else int(steps)
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    z_init = sample_z(count, seed=seed) if z0 is None else np.clip(np.asarray(z0, np.float32), -1, 1)
    if z_init.shape != (count, Z_DIM):
        raise ValueError(f"z0 must have shape ({count}, {Z_DIM}), got {z_init.shape}")
    z = tf.Variable(z_init)
    m = tf.Variable(tf.zeros_like(z_init))
    v = tf.Variable(tf.zeros_like(z_init))
    t = tf.Variable(0.0)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            x = G(z, training=False)
            per_image = loss_fn(x, D(x, training=False))
            total = tf.reduce_sum(per_image)
        grad = tape.gradient(total, z)
        # Adam written out, so a student sees every term (Kingma & Ba, Alg. 1).
        t.assign_add(1.0)
        m.assign(beta_1 * m + (1 - beta_1) * grad)
        v.assign(beta_2 * v + (1 - beta_2) * tf.square(grad))
        m_hat = m / (1 - tf.pow(beta_1, t))
        v_hat = v / (1 - tf.pow(beta_2, t))
        z.assign(tf.clip_by_value(z - learning_rate * m_hat / (tf.sqrt(v_hat) + _EPSILON), -1.0, 1.0))
        return per_image

    keep = {int(s) for s in keep_z_at}
    losses = np.empty((steps, count), dtype=np.float32)
    snapshots, z_at = {}, {}
    bar = tqdm(range(steps), desc=desc, disable=not progress, leave=False)
    for index in bar:
        if snapshot_every and index % snapshot_every == 0:
            snapshots[index] = G(z, training=False).numpy()
        losses[index] = step().numpy()
        if index + 1 in keep:
            z_at[index + 1] = z.numpy().copy()
        if index % 50 == 0:
            bar.set_postfix(loss=f"{losses[index].mean():.4g}")
    final = G(z, training=False).numpy()
    if snapshot_every:
        snapshots[steps] = final
    return LatentResult(z=z.numpy(), x=final, losses=losses, snapshots=snapshots, z_at=z_at)


@dataclass
class InpaintResult:
    x_g: np.ndarray          # G(ẑ), the synthetic image
    z: np.ndarray
    losses: np.ndarray       # (steps, N), Eq. 3 per image
    weights: np.ndarray      # (N, 64, 64), Eq. 4's wᵢ
    snapshots: dict = field(default_factory=dict)
    z_at: dict = field(default_factory=dict)


def semantic_inpaint(y, known, G, D, *, steps: int | None = None, lam: float = LAMBDA, window: int = WINDOW,
                     weights_variant: str = "paper", seed: int = 0, z0=None, keep_z_at=(),
                     snapshot_every: int | None = None, progress: bool = True) -> InpaintResult:
    """Inpaint a batch: minimise Eq. 3 (content Eq. 4 + λ·perceptual Eq. 5) over z (Eq. 2).

    ``y``: damaged images (N, 64, 64, 3) in [−1, 1] (missing pixels may hold anything: the
    weights are zero there). ``known``: one mask (64, 64) or one per image (N, 64, 64).
    """
    import tensorflow as tf

    y = check_images(y, "y")
    known = broadcast_masks(known, len(y))
    weights = content_weights(known, n=window, variant=weights_variant)
    target, w = tf.constant(y), tf.constant(weights)

    def loss_fn(x, logits):
        return content_loss(x, target, w) + lam * perceptual_loss(logits)

    result = optimize_latent(G, D, loss_fn, len(y), z0=z0, seed=seed, steps=steps, keep_z_at=keep_z_at,
                             snapshot_every=snapshot_every, progress=progress, desc="inpainting")
    return InpaintResult(x_g=result.x, z=result.z, losses=result.losses, weights=weights,
                         snapshots=result.snapshots, z_at=result.z_at)
