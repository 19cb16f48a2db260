"""Semantic inpainting by optimising the latent code (Eq. 2; Yeh et al.).

    ẑ = argmin_z L_inpainting(G(z) | y, S),   x_g = G(ẑ)

One optimiser serves inpainting (Eq. 3) and refinement (Eq. 9): Adam with step 0.003,
β₁ = 0.5, β₂ = 0.9, z drawn from U[−1, 1] and clipped back into [−1, 1] after every step.
A whole batch is optimised at once: the objective is the sum of the per-image losses, and Adam
works element by element, so every image follows exactly the path it would follow alone
(G and D run with ``training=False``: batch norm uses its stored statistics, not the batch's).

The compiled step is cached per (G, D, loss function, Adam settings): a loss that takes its
data as extra tensor arguments (``loss_args``), like :func:`semantic_inpaint`'s, is traced once
and reused for every later batch instead of being recompiled on each call.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import numpy as np
from tqdm.auto import tqdm

from ._tf import tf
from .errors import InputError, check_count, check_range, image_floats
from .latent import Z_DIM, sample_z
from .losses import LAMBDA, WINDOW, content_weights, inpainting_parts
from .masks import broadcast_masks

__all__ = ["BETA_1", "BETA_2", "LEARNING_RATE", "Geometric", "InpaintResult", "LatentResult", "check_images",
           "check_seed", "check_z", "optimize_latent", "semantic_inpaint", "step_sizes"]

LEARNING_RATE, BETA_1, BETA_2 = 0.003, 0.5, 0.9
_EPSILON = 1e-7  # Adam's ε, as in Keras

# loss_fn(x, logits, *loss_args) → per-image losses (N,), or a dict with those under "loss"
# plus further named (N,) parts that are traced alongside (e.g. Eq. 3's content and perceptual).
LossFn = Callable[..., object]


def check_images(images, name: str = "y") -> np.ndarray:
    """A batch (N, 64, 64, 3) of float32 in [−1, 1]; one image (64, 64, 3) becomes a batch of one.

    uint8 (0–255) is converted with a warning; a float image in [0, 1] or 0–255 is refused with
    how to convert it (:func:`~inpaintkit.errors.check_range`)."""
    array = image_floats(images, name)
    if array.dtype.kind not in "fiu":
        raise InputError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[1:] != (64, 64, 3) or len(array) == 0:
        raise InputError(f"{name} must have shape (N, 64, 64, 3) or (64, 64, 3), got {np.shape(images)}")
    array = array.astype(np.float32)
    check_range(array, name)
    return np.clip(array, -1.0, 1.0)


def check_seed(seed, name: str = "seed"):
    """A seed NumPy takes: None (a fresh draw), a whole number ≥ 0, or a sequence of them."""
    values = seed if isinstance(seed, (list, tuple)) else [seed]
    if seed is not None and (not values or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0
                                               for v in values)):
        raise InputError(f"{name} must be a whole number ≥ 0 (or None), got {seed!r}")
    return seed


def check_z(z, count: int, name: str = "z0") -> np.ndarray | None:
    """A starting z of shape (count, 100), finite; values outside [−1, 1] are clipped into it
    (z's domain, Eq. 2), as after every Adam step. None passes through (a draw from the seed)."""
    if z is None:
        return None
    try:
        array = np.asarray(z, dtype=np.float32)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers of shape ({count}, {Z_DIM}), got {type(z).__name__}") from None
    if array.shape != (count, Z_DIM):
        raise InputError(f"{name} must have shape ({count}, {Z_DIM}), got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InputError(f"{name} holds NaN or infinite values")
    return np.clip(array, -1.0, 1.0)


@dataclass
class LatentResult:
    z: np.ndarray                  # (N, 100), the final codes
    x: np.ndarray                  # G(z), (N, 64, 64, 3)
    losses: np.ndarray             # (steps, N): the loss of each image before each update
    snapshots: dict = field(default_factory=dict)   # step → G(z) after that many steps
    z_at: dict = field(default_factory=dict)        # step → z after that many steps
    parts: dict = field(default_factory=dict)       # name → (steps, N) trace of a named loss part


# ----------------------------------------------------------------------------- the compiled step
_COMPILED: OrderedDict = OrderedDict()
_COMPILED_KEEP = 4  # a few (G, D, loss) combinations; closures made per call fall out soon


def _per_image_parts(out) -> dict:
    """loss_fn's result as {"loss": (N,), part: (N,), …}, checked while tracing."""
    parts = dict(out) if isinstance(out, Mapping) else {"loss": out}
    parts = {name: tf.convert_to_tensor(value) for name, value in parts.items()}
    if "loss" not in parts:
        raise ValueError(f"a loss_fn that returns a dict must put the per-image objective under 'loss', "
                         f"got keys {sorted(parts)}")
    for name, value in parts.items():
        if value.shape.rank != 1:
            raise ValueError(f"loss_fn must return one value per image, shape (N,); its {name!r} has shape "
                             f"{value.shape} (a summed scalar would tie the images of a batch together)")
    return parts


def _compiled_step(G, D, loss_fn: LossFn, beta_1: float, beta_2: float):
    """One Adam step on z for the whole batch, as a tf.function (cached); the step size is an
    argument, so a schedule that changes it every step is traced once."""
    key = (id(G), id(D), loss_fn, float(beta_1), float(beta_2))
    if key in _COMPILED:
        _COMPILED.move_to_end(key)
        return _COMPILED[key][0]

    # One trace per batch size, never a relaxed one: a trace with an unknown batch size (what
    # reduce_retracing=True makes after a second size) fails Grappler's remapper on D's gradient
    # ("remapper failed: INVALID_ARGUMENT … LeakyReluGrad", a red line in a notebook) and runs unfused.
    @tf.function(reduce_retracing=False)
    def step(z, m, v, t, learning_rate, *loss_args):
        with tf.GradientTape() as tape:
            tape.watch(z)
            x = G(z, training=False)
            parts = _per_image_parts(loss_fn(x, D(x, training=False), *loss_args))
            total = tf.reduce_sum(parts["loss"])  # a sum: each image's gradient is its own loss's
        grad = tape.gradient(total, z)
        if grad is None:
            raise ValueError("loss_fn does not depend on the generated images: no gradient reaches z")
        # Adam written out, so a student sees every term (Kingma & Ba, Alg. 1).
        t = t + 1.0
        m = beta_1 * m + (1 - beta_1) * grad
        v = beta_2 * v + (1 - beta_2) * tf.square(grad)
        m_hat = m / (1 - tf.pow(beta_1, t))
        v_hat = v / (1 - tf.pow(beta_2, t))
        z = tf.clip_by_value(z - learning_rate * m_hat / (tf.sqrt(v_hat) + _EPSILON), -1.0, 1.0)
        return z, m, v, t, parts

    # Holding G and D in the cache keeps their ids from being reused by other models.
    _COMPILED[key] = (step, G, D)
    while len(_COMPILED) > _COMPILED_KEEP:
        _COMPILED.popitem(last=False)
    return step


class Geometric:
    """A step size falling geometrically from ``start`` at the first step to ``end`` at the last
    (a schedule for :func:`optimize_latent`; the paper keeps 0.003 constant)."""

    def __init__(self, start: float, end: float):
        for name, value in (("start", start), ("end", end)):
            if not (np.isfinite(value) and value > 0):
                raise InputError(f"the schedule's {name} must be a positive finite number, got {value!r}")
        self.start, self.end = float(start), float(end)

    def __call__(self, index: int, steps: int) -> float:
        return self.start * (self.end / self.start) ** (index / max(steps - 1, 1))

    def __repr__(self) -> str:
        return f"Geometric({self.start:g} → {self.end:g})"


def step_sizes(learning_rate, steps: int) -> np.ndarray:
    """Adam's step on z at each of ``steps`` steps, float32: a constant, or a schedule called as
    ``learning_rate(index, steps)`` (e.g. :class:`Geometric`). Each must be positive and finite."""
    if isinstance(learning_rate, (bool, str)) or not (callable(learning_rate) or np.isscalar(learning_rate)):
        raise InputError(f"learning_rate must be a positive finite number or a schedule of them, got {learning_rate!r}")
    rates = np.array([learning_rate(i, steps) for i in range(steps)] if callable(learning_rate)
                     else np.full(steps, learning_rate), dtype=np.float32)
    if not (np.all(np.isfinite(rates)) and np.all(rates > 0)):
        raise InputError(f"learning_rate must be a positive finite number or a schedule of them, got {learning_rate!r}")
    return rates


def _check_records(steps: int, keep_z_at: Iterable[int], snapshot_every: int | None) -> set[int]:
    """The steps after which z is kept, all inside 1…steps; a snapshot interval of at least 1."""
    keep = {int(s) for s in keep_z_at}
    outside = sorted(s for s in keep if not 1 <= s <= steps)
    if outside:
        raise InputError(f"keep_z_at asks for z after step(s) {outside}, outside 1…{steps}")
    if snapshot_every is not None:
        check_count("snapshot_every", snapshot_every)
    return keep


def optimize_latent(G, D, loss_fn: LossFn, count: int, *, steps: int, z0=None, seed: int = 0,
                    learning_rate: float | Callable = LEARNING_RATE, beta_1: float = BETA_1, beta_2: float = BETA_2,
                    loss_args: tuple = (), snapshot_every: int | None = None, keep_z_at: Iterable[int] = (),
                    progress: bool = True, desc: str = "optimising z") -> LatentResult:
    """Minimise Σₙ loss_fn(G(z), D(G(z)))ₙ over z with Adam, clipping z to [−1, 1] after each step.

    Parameters
    ----------
    G, D : the generator and discriminator; both run with ``training=False``.
    loss_fn : callable
        ``loss_fn(x, logits, *loss_args)`` gets x = G(z) (N, 64, 64, 3), D's logits on it (N, 1)
        and ``loss_args``; it returns one loss per image (N,), or a dict of (N,) tensors with the
        objective under ``"loss"`` (the other entries are traced into ``LatentResult.parts``).
    count : int, the number of images N.
    steps : int
        Adam steps (the paper: 1500; the budgets of :mod:`inpaintkit.config` choose it at the front).
    z0 : array (N, 100), optional
        The starting codes; else a draw from U[−1, 1] by ``seed``.
    learning_rate : float or schedule
        Adam's step on z (the paper: 0.003), or a schedule called as ``rate(index, steps)``
        (:class:`Geometric`, :func:`step_sizes`).
    beta_1, beta_2 : Adam's decay rates (the paper: 0.5, 0.9).
    loss_args : tuple of arrays
        Passed to the compiled step as arguments, so a module-level ``loss_fn`` is traced once
        for every later batch.
    snapshot_every : int, optional, G(z) every so many steps (``LatentResult.snapshots``).
    keep_z_at : steps after which z is kept (the 1500-step result inside a 3000-step run).

    Returns
    -------
    LatentResult
        The final z and G(z), the per-image losses before each step, snapshots, kept z.

    References
    ----------
    The paper's Eq. 2 (§1.2); Kingma and Ba, Adam, Algorithm 1 (written out in the compiled step).
    """
    steps = check_count("steps", steps)
    keep = _check_records(steps, keep_z_at, snapshot_every)
    check_count("count", count)
    check_seed(seed)
    for name, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
        if not (isinstance(beta, (int, float)) and 0.0 <= beta < 1.0):
            raise InputError(f"{name} must lie in [0, 1), got {beta!r}")
    rates = tf.constant(step_sizes(learning_rate, steps))
    z_init = sample_z(count, seed=seed) if z0 is None else check_z(z0, count)
    step = _compiled_step(G, D, loss_fn, beta_1, beta_2)
    args = tuple(tf.convert_to_tensor(a) for a in loss_args)

    z = tf.constant(z_init)
    m = tf.zeros_like(z)
    v = tf.zeros_like(z)
    t = tf.constant(0.0)
    traces: dict[str, np.ndarray] = {}
    snapshots, z_at = {}, {}
    # leave=True: a closed bar (leave=False) leaves "model not found" in a notebook after a reload
    bar = tqdm(range(steps), desc=desc, disable=not progress, leave=True)
    for index in bar:
        if snapshot_every and index % snapshot_every == 0:
            snapshots[index] = G(z, training=False).numpy()
        z, m, v, t, parts = step(z, m, v, t, rates[index], *args)
        for name, value in parts.items():
            traces.setdefault(name, np.empty((steps, count), np.float32))[index] = value.numpy()
        if not np.all(np.isfinite(traces["loss"][index])):
            bad = int(np.argmax(~np.isfinite(traces["loss"][index])))
            raise FloatingPointError(f"the loss of image {bad} is not finite at step {index}")
        if index + 1 in keep:
            z_at[index + 1] = z.numpy()
        if index % 50 == 0 or index == steps - 1:
            bar.set_postfix(loss=f"{traces['loss'][index].mean():.4g}")
    final = G(z, training=False).numpy()
    if snapshot_every:
        snapshots[steps] = final
    losses = traces.pop("loss")
    return LatentResult(z=z.numpy(), x=final, losses=losses, snapshots=snapshots, z_at=z_at, parts=traces)


# ----------------------------------------------------------------------------- Eq. 3
def _inpainting_parts(x, logits, y, weights, lam):
    """Eq. 3 (:func:`~inpaintkit.losses.inpainting_parts`) in the argument order of a ``loss_fn``."""
    return inpainting_parts(x, y, weights, logits, lam)


@dataclass
class InpaintResult:
    x_g: np.ndarray          # G(ẑ), the synthetic image
    z: np.ndarray            # ẑ (N, 100)
    losses: np.ndarray       # (steps, N), Eq. 3 per image before each update
    weights: np.ndarray      # (N, 64, 64), Eq. 4's wᵢ
    content: np.ndarray      # (steps, N), Eq. 4's L_content
    perceptual: np.ndarray   # (steps, N), Eq. 5's log(1 − D(G(z))); losses = content + λ·perceptual
    snapshots: dict = field(default_factory=dict)
    z_at: dict = field(default_factory=dict)


def semantic_inpaint(y, known, G, D, *, steps: int, learning_rate: float = LEARNING_RATE, lam: float = LAMBDA,
                     window: int = WINDOW, weights_variant: str = "paper", seed: int = 0, z0=None,
                     keep_z_at: Iterable[int] = (), snapshot_every: int | None = None,
                     progress: bool = True) -> InpaintResult:
    """Inpaint a batch: minimise Eq. 3 (content Eq. 4 + λ·perceptual Eq. 5) over z (Eq. 2).

    Parameters
    ----------
    y : array (N, 64, 64, 3) or (64, 64, 3) in [−1, 1]
        Damaged images; missing pixels may hold anything (their weights are zero).
    known : bool array (64, 64) or (N, 64, 64)
        True on clean pixels (the paper's Mᶜ).
    G, D : Keras models
        The generator and discriminator (:mod:`inpaintkit.dcgan`).
    steps : int
        Adam steps on z (the paper: 1500).
    learning_rate : float
        Adam's step on z (the paper: 0.003).
    lam : float
        λ of Eq. 3 (the paper: 0.003).
    window : int
        n of Eq. 4 (odd; Yeh et al. use 7).
    weights_variant : {"paper", "yeh"}
        Eq. 4 as printed, or Yeh et al.'s code (:func:`inpaintkit.losses.content_weights`).
    seed, z0 : the starting z, drawn from ``seed`` unless given (N, 100).

    Returns
    -------
    InpaintResult
        x_g = G(ẑ), ẑ, the loss traces and Eq. 4's weights.

    References
    ----------
    Eq. 2–5 of the paper; Yeh et al., "Semantic image inpainting with deep generative models".
    """
    y = check_images(y, "y")
    known = broadcast_masks(known, len(y))
    if not np.isfinite(lam) or lam < 0:
        raise InputError(f"λ must be a finite number ≥ 0, got {lam}")
    check_count("steps", steps)
    check_seed(seed)
    z0 = check_z(z0, len(y))
    return _semantic_inpaint(y, known, G, D, steps=steps, learning_rate=learning_rate, lam=lam, window=window,
                             weights_variant=weights_variant, seed=seed, z0=z0, keep_z_at=keep_z_at,
                             snapshot_every=snapshot_every, progress=progress)


def _semantic_inpaint(y: np.ndarray, known: np.ndarray, G, D, *, steps: int, learning_rate: float, lam: float,
                      window: int = WINDOW, weights_variant: str = "paper", seed: int = 0, z0=None,
                      keep_z_at: Iterable[int] = (), snapshot_every: int | None = None,
                      progress: bool = True) -> InpaintResult:
    """:func:`semantic_inpaint` on inputs the caller has checked (Fig. 8 checks them once)."""
    weights = content_weights(known, n=window, variant=weights_variant)
    args = (tf.constant(y), tf.constant(weights), tf.constant(lam, tf.float32))
    result = optimize_latent(G, D, _inpainting_parts, len(y), z0=z0, seed=seed, steps=steps,
                             learning_rate=learning_rate, loss_args=args, keep_z_at=keep_z_at,
                             snapshot_every=snapshot_every, progress=progress, desc="inpainting")
    return InpaintResult(x_g=result.x, z=result.z, losses=result.losses, weights=weights,
                         content=result.parts["content"], perceptual=result.parts["perceptual"],
                         snapshots=result.snapshots, z_at=result.z_at)
