"""The losses of semantic inpainting (Yeh et al., the paper's §1.2, Eq. 3–5).

Eq. 4, weighted content loss:  L_content = Σ_{i∈S} wᵢ·|xᵢ − yᵢ|,  wᵢ = |Hᵢ| / |Hᵢᶜ|
    Hᵢ and Hᵢᶜ are the missing and the known pixels in the n×n window centred on pixel i.
    S is the set of KNOWN pixels with at least one hole in their window (the paper's text says
    "S ⊂ M" with its set names swapped; its prose and Fig. 3 mean the clean pixels near holes).
    The weight is zero on missing pixels and on known pixels whose window has no hole.
Eq. 5, perceptual loss:  L_perception = log(1 − D(x)), computed from D's logit ℓ as
    log(1 − σ(ℓ)) = −softplus(ℓ), which stays finite for any ℓ.
Eq. 3:  L_inpainting = L_content + λ·L_perception, λ = 0.003.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter

from ._tf import tf
from .errors import InputError

__all__ = ["LAMBDA", "VARIANTS", "WINDOW", "content_loss", "content_weights", "inpainting_loss", "inpainting_parts",
           "near_hole_set", "perceptual_loss"]

LAMBDA = 0.003
WINDOW = 7  # n of Eq. 4: not printed in the paper; Yeh et al. use 7
VARIANTS = ("paper", "yeh")


def content_weights(known, n: int = WINDOW, variant: str = "paper") -> np.ndarray:
    """Eq. 4's weights wᵢ, one per pixel, shared by the three colour channels.

    Parameters
    ----------
    known : bool array (64, 64) or (N, 64, 64)
        True on clean pixels (0/1 numbers are accepted).
    n : int
        The window's side (odd, ≥ 3; not printed in the paper, Yeh et al. use 7).
    variant : {"paper", "yeh"}
        "paper": wᵢ = |Hᵢ| / |Hᵢᶜ|, missing over known pixels in the window, as Eq. 4 prints it;
        "yeh": wᵢ = |Hᵢ| / |Wᵢ|, the fraction of holes in the window (Yeh et al.'s code).

    Returns
    -------
    float32 array (N, 64, 64)
        Positive on the set S (known pixels with a hole in their window), 0 elsewhere. Windows at
        the border count only the pixels inside the image (a box filter over the hole indicator).

    References
    ----------
    The paper's Eq. 4 (§1.2); Yeh et al., "Semantic image inpainting with deep generative models".
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 3 or n % 2 == 0:
        raise InputError(f"the window n must be an odd integer ≥ 3, got {n!r}")
    if variant not in VARIANTS:
        raise InputError(f"variant must be one of {VARIANTS}, got {variant!r}")
    known = np.asarray(known)
    if known.ndim not in (2, 3):
        raise InputError(f"known must be one mask (H, W) or a batch (N, H, W), got shape {known.shape}")
    if known.dtype != bool and not np.all((known == 0) | (known == 1)):
        raise InputError("known must be boolean (True = clean pixel) or hold only 0 and 1")
    known = known.astype(bool)
    batch = known if known.ndim == 3 else known[None]
    missing_count, window_count = _window_counts(batch, n)
    known_count = window_count - missing_count
    denominator = known_count if variant == "paper" else window_count
    # A known pixel counts itself, so known_count ≥ 1 wherever the weight is used; the maximum
    # only keeps the division quiet on missing pixels, whose weight is zero anyway.
    near = batch & (missing_count > 0)  # the set S (near_hole_set)
    weights = np.where(near, missing_count / np.maximum(denominator, 1), 0.0)
    return weights.astype(np.float32)


def _window_counts(batch: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel of a (N, H, W) known-mask batch: missing pixels and in-image pixels in its n×n window."""
    holes = (~batch).astype(np.float64)
    # uniform_filter with zero padding gives the window mean; times n² it is a count (rint removes
    # the float rounding). Zero padding of the all-ones image counts the in-image window pixels.
    box = dict(size=(1, n, n), mode="constant", cval=0.0)
    return np.rint(uniform_filter(holes, **box) * n * n), np.rint(uniform_filter(np.ones_like(holes), **box) * n * n)


def near_hole_set(known, window: int = WINDOW) -> np.ndarray:
    """The set S of Eq. 4 as a bool mask of the same shape: known pixels with at least one missing
    pixel in their window × window box (where :func:`content_weights` is positive)."""
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1 or window % 2 == 0:
        raise InputError(f"window must be a positive odd number, got {window!r}")
    known = np.asarray(known, dtype=bool)
    batch = known.reshape((-1,) + known.shape[-2:])
    missing_count, _ = _window_counts(batch, window)
    return (batch & (missing_count > 0)).reshape(known.shape)


def content_loss(x, y, weights):
    """Eq. 4 per image: L_content = Σᵢ wᵢ·|xᵢ − yᵢ|, summed over pixels and colour channels.

    Parameters
    ----------
    x, y : tensors (N, 64, 64, 3)
        The generated images G(z) and the damaged images.
    weights : (N, 64, 64)
        From :func:`content_weights`; pixels with wᵢ = 0 (missing, or far from every hole) do not count.

    Returns
    -------
    tensor (N,)

    References
    ----------
    The paper's Eq. 4.
    """
    return tf.reduce_sum(weights[..., None] * tf.abs(x - y), axis=[1, 2, 3])


def perceptual_loss(logits):
    """Eq. 5 per image: L_perception = log(1 − D(x)), from D's logit ℓ.

    Parameters
    ----------
    logits : tensor (N, 1) or (N,), D's logits on the generated images.

    Returns
    -------
    tensor (N,)
        log(1 − σ(ℓ)) = −softplus(ℓ), finite for every ℓ (the naive form overflows near ℓ = ±90).

    References
    ----------
    The paper's Eq. 5 (§1.2).
    """
    return -tf.nn.softplus(tf.reshape(logits, [-1]))


def inpainting_parts(x, y, weights, logits, lam: float = LAMBDA) -> dict:
    """Eq. 3 per image with its two terms: {"loss": content + λ·perceptual, "content": Eq. 4,
    "perceptual": Eq. 5}, each of shape (N,). The one place Eq. 3 is written."""
    content = content_loss(x, y, weights)
    perceptual = perceptual_loss(logits)
    return {"loss": content + lam * perceptual, "content": content, "perceptual": perceptual}


def inpainting_loss(x, y, weights, logits, lam: float = LAMBDA):
    """Eq. 3 per image: L_inpainting = L_content (Eq. 4) + λ·L_perception (Eq. 5).

    Parameters
    ----------
    x, y : tensors (N, 64, 64, 3), G(z) and the damaged images.
    weights : (N, 64, 64), Eq. 4's weights (:func:`content_weights`).
    logits : tensor (N, 1), D's logits on x.
    lam : float, λ (the paper: 0.003).

    Returns
    -------
    tensor (N,)

    References
    ----------
    The paper's Eq. 3.
    """
    return inpainting_parts(x, y, weights, logits, lam)["loss"]
