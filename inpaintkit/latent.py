"""The latent space of the DCGAN (§1.2): z ∈ ℝ¹⁰⁰ drawn from U[−1, 1].

Kept apart from :mod:`inpaintkit.dcgan` so that the optimisers over z (:mod:`inpaintkit.inpainting`)
and the networks that read z do not import each other.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Z_DIM", "sample_z"]

Z_DIM = 100


def sample_z(count: int, seed: int | None = None, z_dim: int = Z_DIM) -> np.ndarray:
    """z ~ U[−1, 1]^100, reproducible from a seed."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (count, z_dim)).astype(np.float32)
