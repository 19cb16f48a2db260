"""Poisson blending (§1.3, Eq. 6).

    minimise ‖D x − D x_g‖²₂   subject to  xᵢ = yᵢ for every known pixel i,   per colour channel.

D is a 3×3 convolution ("same" size, zero padding, like Matlab's ``conv2(·, 'same')``):
- ``kind="paper"``: all ones with centre −9, the kernel the paper prints (it calls it a Laplacian
  of Gaussian). It equals the 8-neighbour Laplacian minus the identity, so besides matching
  gradients it also pulls the intensities towards x_g a little.
- ``kind="laplacian"``: all ones with centre −8, the plain 8-neighbour Laplacian.

Eq. 6 is a linear least-squares problem with linear equality constraints. With the known pixels
substituted, only the missing pixels x_M remain, and the minimiser solves the normal equations

    (D_Mᵀ D_M) x_M = D_Mᵀ (D x_g − D_K y_K),

where D_M and D_K are D's columns of the missing and known pixels. Both operators are invertible
on 64×64 with zero padding (their eigenvalues lie in (−13, −1) and (−12, 0)), so D_Mᵀ D_M is
symmetric positive definite for any mask and the solve is exact. :func:`poisson_blend` factorises
it once per distinct mask and reuses the factor for every channel and every image sharing the mask;
:func:`blend_reference` states Eq. 6 in cvxpy, as the paper did in CVX, to check it.
"""
from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from .masks import broadcast_masks

KINDS = {"paper": -9.0, "laplacian": -8.0}
SIZE = 64


@lru_cache(maxsize=4)
def poisson_operator(kind: str = "paper", size: int = SIZE) -> sp.csr_matrix:
    """D as a sparse (size², size²) matrix acting on a row-major flattened channel."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    index = np.arange(size * size).reshape(size, size)
    rows, cols, vals = [], [], []
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            # Output pixel (i, j) reads input pixel (i + di, j + dj) when it lies inside (zero padding).
            r0, r1 = max(0, -di), size - max(0, di)
            c0, c1 = max(0, -dj), size - max(0, dj)
            out = index[r0:r1, c0:c1]
            rows.append(out.ravel())
            cols.append(index[r0 + di:r1 + di, c0 + dj:c1 + dj].ravel())
            vals.append(np.full(out.size, KINDS[kind] if di == dj == 0 else 1.0))
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(size * size, size * size))


@lru_cache(maxsize=4)
def _normal_matrix(kind: str, size: int) -> sp.csr_matrix:
    """DᵀD, from which every mask's D_Mᵀ D_M is a submatrix."""
    D = poisson_operator(kind, size)
    return (D.T @ D).tocsr()


class _Factor:
    """The LU factor of D_Mᵀ D_M for one mask.

    With ỹ = y on known pixels and 0 on missing ones, D_Mᵀ(D x_g − D_K y_K) = [DᵀD (x_g − ỹ)]_M,
    so one precomputed DᵀD gives both the matrix and the right-hand side.
    """

    def __init__(self, known: np.ndarray, kind: str):
        flat = known.ravel()
        self.missing = np.flatnonzero(~flat)
        self.known = np.flatnonzero(flat)
        self.Q = _normal_matrix(kind, known.shape[0])
        # The matrix is symmetric positive definite: a symmetric ordering and no pivoting suit it.
        self.lu = splu(self.Q[self.missing][:, self.missing].tocsc(), permc_spec="MMD_AT_PLUS_A",
                       diag_pivot_thresh=0.0, options=dict(SymmetricMode=True))

    def solve(self, y_known: np.ndarray, x_g: np.ndarray) -> np.ndarray:
        """Missing-pixel values for several columns (channels × images) at once."""
        difference = x_g.copy()
        difference[self.known] -= y_known
        return self.lu.solve(np.asarray((self.Q @ difference)[self.missing], dtype=np.float64))


class FactorCache:
    """Factors keyed by (mask bytes, kind), least recently used dropped first."""

    def __init__(self, size: int = 32):
        self.size, self.store = size, OrderedDict()
        self.hits = self.misses = 0

    def get(self, known: np.ndarray, kind: str) -> _Factor:
        key = (np.packbits(known).tobytes(), known.shape, kind)
        if key in self.store:
            self.hits += 1
            self.store.move_to_end(key)
            return self.store[key]
        self.misses += 1
        factor = self.store[key] = _Factor(known, kind)
        if len(self.store) > self.size:
            self.store.popitem(last=False)
        return factor

    def clear(self) -> None:
        self.store.clear()
        self.hits = self.misses = 0


FACTORS = FactorCache()


def _check(y, known, x_g):
    # No range check: blending is linear, so it works on any scale.
    y = np.asarray(y, dtype=np.float64)
    x_g = np.asarray(x_g, dtype=np.float64)
    if y.ndim == 3:
        y = y[None]
    if x_g.ndim == 3:
        x_g = x_g[None]
    if y.shape != x_g.shape:
        raise ValueError(f"y {y.shape} and x_g {x_g.shape} must have the same shape")
    if y.ndim != 4 or y.shape[1:] != (SIZE, SIZE, 3):
        raise ValueError(f"images must have shape (N, {SIZE}, {SIZE}, 3) or ({SIZE}, {SIZE}, 3), got {y.shape}")
    for name, array in (("y", y), ("x_g", x_g)):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} holds NaN or infinite values")
    return y, broadcast_masks(known, len(y)), x_g


def poisson_blend(y, known, x_g, kind: str = "paper", cache: FactorCache | None = None,
                  clip: bool = True) -> np.ndarray:
    """Eq. 6 for a batch, float32 (N, 64, 64, 3); known pixels equal y exactly.

    The exact minimiser can overshoot the image range a little where x_g has strong gradients;
    the blend is an image, so by default it is clipped to [−1, 1]. ``clip=False`` returns the
    exact minimiser (as cvxpy does). Images that share a mask share one factorisation.
    """
    y, known, x_g = _check(y, known, x_g)
    cache = FACTORS if cache is None else cache
    out = np.where(known[..., None], y, 0.0)
    keys = np.packbits(known.reshape(len(known), -1), axis=1)
    _, group_of = np.unique(keys, axis=0, return_inverse=True)
    for group in np.unique(group_of):
        members = np.flatnonzero(group_of == group)
        factor = cache.get(known[members[0]], kind)
        # Columns: every channel of every image in the group, solved together.
        cols_y = y[members].transpose(1, 2, 0, 3).reshape(SIZE * SIZE, -1)
        cols_g = x_g[members].transpose(1, 2, 0, 3).reshape(SIZE * SIZE, -1)
        solved = factor.solve(cols_y[factor.known], cols_g)
        flat = out[members].transpose(1, 2, 0, 3).reshape(SIZE * SIZE, -1)
        flat[factor.missing] = solved
        out[members] = flat.reshape(SIZE, SIZE, len(members), 3).transpose(2, 0, 1, 3)
    if clip:
        out = np.clip(out, -1.0, 1.0)
    return out.astype(np.float32)


def paste(y, known, x_g) -> np.ndarray:
    """No blending: known pixels from y, missing pixels straight from x_g (Fig. 5, left)."""
    y, known, x_g = _check(y, known, x_g)
    return np.where(known[..., None], y, x_g).astype(np.float32)


def blend_reference(y, known, x_g, kind: str = "paper", solver: str = "CLARABEL") -> np.ndarray:
    """Eq. 6 stated in cvxpy exactly as it reads, one problem per image and channel (slow)."""
    import cvxpy as cp

    y, known, x_g = _check(y, known, x_g)
    D = poisson_operator(kind)
    out = np.empty_like(y)
    for n in range(len(y)):
        fixed = np.flatnonzero(known[n].ravel())
        for c in range(3):
            target = D @ x_g[n, ..., c].ravel()
            x = cp.Variable(SIZE * SIZE)
            problem = cp.Problem(cp.Minimize(cp.sum_squares(D @ x - target)),
                                 [x[fixed] == y[n, ..., c].ravel()[fixed]])
            problem.solve(solver=solver, **_TIGHT.get(solver, {}))
            if problem.status != cp.OPTIMAL:
                raise RuntimeError(f"cvxpy did not solve image {n}, channel {c}: {problem.status}")
            out[n, ..., c] = x.value.reshape(SIZE, SIZE)
    return out.astype(np.float64)


_TIGHT = {"CLARABEL": dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, tol_ktratio=1e-10)}


def seam_error(images, known) -> np.ndarray:
    """Mean |xᵢ − xⱼ| (0–255) over 4-neighbour pairs with i known and j missing: how visible the
    edge of the hole is. Pasting leaves a step there; blending removes it (Fig. 5)."""
    x = np.asarray(images, dtype=np.float64)
    x = x[None] if x.ndim == 3 else x
    known = np.broadcast_to(np.asarray(known, dtype=bool), x.shape[:3])
    out = []
    for image, k in zip(x, known):
        steps = []
        for a, b, ka, kb in ((image[1:], image[:-1], k[1:], k[:-1]), (image[:, 1:], image[:, :-1], k[:, 1:], k[:, :-1])):
            edge = ka != kb
            steps.append(np.abs(a - b)[edge].ravel())
        out.append(np.concatenate(steps).mean() * 127.5)
    return np.array(out)


def time_solvers(count: int = 64, reference_count: int = 1, seed: int = 0) -> dict[str, float]:
    """Milliseconds per 64×64×3 image: cvxpy (Eq. 6 as stated), the fast solver with a new mask
    per image (a factorisation each), and with one mask shared by ``count`` images."""
    import time

    from .masks import make_mask

    rng = np.random.default_rng(seed)
    y, x_g = rng.uniform(-1, 1, (2, count, SIZE, SIZE, 3))
    per_image_masks = np.stack([make_mask(1, seed=seed + i) for i in range(count)])
    began = time.perf_counter()
    blend_reference(y[:reference_count], per_image_masks[:reference_count], x_g[:reference_count])
    cvx = (time.perf_counter() - began) / reference_count
    began = time.perf_counter()
    poisson_blend(y, per_image_masks, x_g, cache=FactorCache(), clip=False)
    own = (time.perf_counter() - began) / count
    began = time.perf_counter()
    poisson_blend(y, per_image_masks[0], x_g, cache=FactorCache(), clip=False)
    shared = (time.perf_counter() - began) / count
    return {"cvxpy_ms": 1000 * cvx, "fast_own_mask_ms": 1000 * own, "fast_shared_mask_ms": 1000 * shared}
