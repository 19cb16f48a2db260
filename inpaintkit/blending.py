"""Poisson blending (§1.3, Eq. 6).

    minimise ‖D x − D x_g‖²₂   subject to  xᵢ = yᵢ for every known pixel i,   per colour channel.

The operator D
--------------
D is a 3×3 convolution of one colour channel, as a sparse (64², 64²) matrix:
- ``kind="paper"``: all ones with centre −9, the kernel the paper prints (it calls it a Laplacian
  of Gaussian). It is the 8-neighbour Laplacian minus the identity, so besides matching the
  second differences of x_g it also pulls the intensities towards x_g a little.
- ``kind="laplacian"``: all ones with centre −8, the plain 8-neighbour Laplacian (not the
  4-neighbour one), chosen so that the two operators differ by exactly the identity.

Boundary: "same" size with zero padding, like Matlab's ``conv2(·, 'same')``: D x has one value
per pixel, and a window that sticks out of the image just loses its outside taps. Why not
"valid" (only windows that lie inside): that D has 62² rows for 64² pixels, and for masks that
touch the border it loses rank; for the left-half pattern (4) D_M is singular (Eq. 6 then has
many minimisers and cvxpy returns an arbitrary one) and for the 70 % pattern (6) its smallest
singular value is about 2e-4. With zero padding D = B⊗B + (c − 1)·I, where B is the 64×64
tridiagonal matrix of ones with eigenvalues 1 + 2cos(kπ/65) ∈ (−1, 3). So D's eigenvalues lie in
(−13, −1) for c = −9 and in (−12, 0) for c = −8: D is invertible for both kinds (for −8 only
just: the one nearest zero is −0.014), hence D_M has full column rank for any mask.

The solvers
-----------
Eq. 6 is a linear least-squares problem with linear equality constraints. Substituting the
known pixels leaves only the missing pixels x_M, and the minimiser solves the normal equations

    (D_Mᵀ D_M) x_M = D_Mᵀ (D x_g − D_K y_K),

where D_M and D_K are D's columns of the missing and known pixels. D_Mᵀ D_M is symmetric
positive definite (see above), so an exact sparse direct solve gives the same answer as the
convex solver, up to rounding. :func:`poisson_blend` factorises it once per distinct mask and
reuses the factor for every channel and every image sharing the mask (one multi-column solve);
:func:`blend_reference` states Eq. 6 in cvxpy, as the paper did in CVX, to check it. Both use
the same matrix D from :func:`poisson_operator`.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from .masks import broadcast_masks, make_mask

KINDS = {"paper": -9.0, "laplacian": -8.0}  # the kernel's centre; every other entry is 1
SIZE = 64
_BLOCK = 4  # right-hand sides per SuperLU solve (see _Factor.solve)


def poisson_operator(kind: str = "paper", size: int = SIZE) -> sp.csr_matrix:
    """D as a sparse (size², size²) matrix acting on one row-major flattened channel.

    Zero padding ("same" size); see the module docstring for why. Returns a fresh copy, so
    editing it cannot change the solvers' cached operator.
    """
    return _operator(kind, size).copy()


@lru_cache(maxsize=4)
def _operator(kind: str, size: int) -> sp.csr_matrix:
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
    D = _operator(kind, size)
    return (D.T @ D).tocsr()


class _Factor:
    """The sparse LU factor of D_Mᵀ D_M for one mask and operator.

    With ỹ = y on known pixels and 0 on missing ones, D_Mᵀ(D x_g − D_K y_K) = [DᵀD (x_g − ỹ)]_M,
    so one precomputed DᵀD gives both the matrix and the right-hand side.
    """

    def __init__(self, known: np.ndarray, kind: str):
        flat = known.ravel()
        self.missing = np.flatnonzero(~flat)
        self.known = np.flatnonzero(flat)
        self.Q = _normal_matrix(kind, known.shape[0])
        # The matrix is symmetric positive definite: a symmetric fill-reducing ordering and no
        # pivoting keep the factor small (1.2–3× faster than the default COLAMD on the six patterns).
        self.lu = splu(self.Q[self.missing][:, self.missing].tocsc(), permc_spec="MMD_AT_PLUS_A",
                       diag_pivot_thresh=0.0, options=dict(SymmetricMode=True))

    def solve(self, y_known: np.ndarray, x_g: np.ndarray) -> np.ndarray:
        """Missing-pixel values for several columns (channels × images) at once.

        ``y_known``: (known pixels, columns); ``x_g``: (all pixels, columns); both float64.
        """
        difference = x_g.copy()
        difference[self.known] -= y_known
        rhs = np.asarray((self.Q @ difference)[self.missing], dtype=np.float64)
        # SuperLU's solve slows down sharply with many right-hand sides at once (192 columns, i.e.
        # 64 images × 3 channels, took about 100× longer than 48 solves of 4), so solve in blocks.
        return np.hstack([self.lu.solve(rhs[:, start:start + _BLOCK])
                          for start in range(0, rhs.shape[1], _BLOCK)])


class FactorCache:
    """Factors keyed by (mask bits, shape, kind); the least recently used is dropped first.

    ``misses`` counts factorisations, ``hits`` reuses.
    """

    def __init__(self, size: int = 32):
        self.size = size
        self.store: OrderedDict[tuple, _Factor] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, known: np.ndarray, kind: str) -> _Factor:
        key = (np.packbits(known).tobytes(), known.shape, kind)
        if key in self.store:
            self.hits += 1
            self.store.move_to_end(key)
            return self.store[key]
        factor = _Factor(known, kind)  # raises for an unknown kind before anything is counted
        self.misses += 1
        self.store[key] = factor
        if len(self.store) > self.size:
            self.store.popitem(last=False)
        return factor

    def clear(self) -> None:
        self.store.clear()
        self.hits = self.misses = 0


FACTORS = FactorCache()


def _check(y, known, x_g):
    """Float64 (N, 64, 64, 3) copies of y and x_g, a (N, 64, 64) mask, and the output dtype."""
    arrays = []
    for name, value in (("y", y), ("x_g", x_g)):
        array = np.asarray(value)
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}")
        arrays.append(array)
    # Return the inputs' precision (at least float32), so known pixels come back bit for bit.
    dtype = np.result_type(*arrays, np.float32)
    y, x_g = (a[None] if a.ndim == 3 else a for a in arrays)
    if y.shape != x_g.shape:
        raise ValueError(f"y {y.shape} and x_g {x_g.shape} must have the same shape")
    if y.ndim != 4 or y.shape[1:] != (SIZE, SIZE, 3):
        raise ValueError(f"images must have shape (N, {SIZE}, {SIZE}, 3) or ({SIZE}, {SIZE}, 3), got {y.shape}")
    # No range check: blending is linear, so it works on any scale.
    for name, array in (("y", y), ("x_g", x_g)):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} holds NaN or infinite values")
    known = broadcast_masks(known, len(y))  # MaskError: shape, count, no hole, no known pixel
    return y.astype(np.float64), known, x_g.astype(np.float64), dtype


def poisson_blend(y, known, x_g, kind: str = "paper", cache: FactorCache | None = None,
                  clip: bool | tuple[float, float] = True) -> np.ndarray:
    """Eq. 6 for a batch by an exact sparse direct solve; (N, 64, 64, 3).

    ``y`` (damaged image) and ``x_g`` (generated image): (N, 64, 64, 3) or (64, 64, 3);
    ``known``: one (64, 64) mask for the whole batch or (N, 64, 64). Known pixels are copied
    from y, never solved for, so they equal y exactly. The result has the inputs' float
    precision (float32 for float32 images).

    ``clip``: the exact minimiser can overshoot the image range a little where x_g has strong
    gradients, and the blend is an image, so by default the solved (missing) pixels are clipped
    to [−1, 1]; give ``(low, high)`` for another range, or ``False`` for the exact minimiser (as
    cvxpy returns it). Known pixels are never clipped.

    Images that share a mask share one factorisation, kept in ``cache`` (default: the module's
    :data:`FACTORS`), and are solved together: one right-hand-side matrix with a column per
    channel and image (fed to SuperLU a few columns at a time).
    """
    y, known, x_g, dtype = _check(y, known, x_g)
    cache = FACTORS if cache is None else cache
    out = np.where(known[..., None], y, 0.0)
    groups: dict[bytes, list[int]] = {}
    for n, bits in enumerate(np.packbits(known.reshape(len(known), -1), axis=1)):
        groups.setdefault(bits.tobytes(), []).append(n)
    for members in groups.values():
        factor = cache.get(known[members[0]], kind)
        # Columns: every channel of every image in the group, solved together.
        cols_y = y[members].transpose(1, 2, 0, 3).reshape(SIZE * SIZE, -1)
        cols_g = x_g[members].transpose(1, 2, 0, 3).reshape(SIZE * SIZE, -1)
        solved = factor.solve(cols_y[factor.known], cols_g)
        if clip is not False:
            low, high = (-1.0, 1.0) if clip is True else clip
            solved = np.clip(solved, low, high)
        flat = out[members].transpose(1, 2, 0, 3).reshape(SIZE * SIZE, -1)
        flat[factor.missing] = solved
        out[members] = flat.reshape(SIZE, SIZE, len(members), 3).transpose(2, 0, 1, 3)
    return out.astype(dtype)


def paste(y, known, x_g) -> np.ndarray:
    """No blending: known pixels from y, missing pixels straight from x_g (Fig. 5, left)."""
    y, known, x_g, dtype = _check(y, known, x_g)
    return np.where(known[..., None], y, x_g).astype(dtype)


# CLARABEL (interior point) with tight tolerances reaches KKT residuals of about 1e-13 on these
# problems, far below the 1e-6 the fast solver is checked against.
_TIGHT = {"CLARABEL": dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, tol_ktratio=1e-10),
          "OSQP": dict(eps_abs=1e-12, eps_rel=1e-12, max_iter=200_000, polish=True)}


def blend_reference(y, known, x_g, kind: str = "paper", solver: str = "CLARABEL",
                    solve_times: list[float] | None = None) -> np.ndarray:
    """Eq. 6 stated in cvxpy exactly as it reads, one problem per image and channel (slow).

    The ground truth for :func:`poisson_blend` (call that with ``clip=False`` to compare).
    Returns float64 (N, 64, 64, 3). ``solve_times``, if given, receives the solver's own time
    per problem (without cvxpy's modelling overhead).
    """
    import cvxpy as cp

    y, known, x_g, _ = _check(y, known, x_g)
    D = poisson_operator(kind)
    out = np.empty_like(y)
    for n in range(len(y)):
        fixed = np.flatnonzero(known[n].ravel())
        for c in range(3):
            x = cp.Variable(SIZE * SIZE)
            problem = cp.Problem(cp.Minimize(cp.sum_squares(D @ x - D @ x_g[n, ..., c].ravel())),
                                 [x[fixed] == y[n, ..., c].ravel()[fixed]])
            problem.solve(solver=solver, **_TIGHT.get(solver, {}))
            if problem.status != cp.OPTIMAL:
                raise RuntimeError(f"cvxpy did not solve image {n}, channel {c}: {problem.status}")
            if solve_times is not None:
                solve_times.append(problem.solver_stats.solve_time)
            out[n, ..., c] = x.value.reshape(SIZE, SIZE)
    return out


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


def time_solvers(count: int = 64, reference_count: int = 1, seed: int = 0, pattern: int = 1,
                 kind: str = "paper") -> dict[str, float]:
    """Milliseconds per 64×64×3 image (3 channels), on random images:

    - ``cvxpy_ms``: Eq. 6 as stated in cvxpy (modelling + solver), ``reference_count`` images;
    - ``cvxpy_solver_only_ms``: of which the solver itself;
    - ``fast_own_mask_ms``: the fast solver called once per image with an empty cache, so every
      image pays a factorisation (as with a different mask per image);
    - ``fast_shared_mask_ms``: one mask shared by ``count`` images: one factorisation, one solve.

    Each is warmed up once first (imports, cvxpy's first compile, DᵀD), so only steady-state
    work is timed.
    """
    rng = np.random.default_rng(seed)
    y, x_g = rng.uniform(-1, 1, (2, count, SIZE, SIZE, 3))
    known = np.stack([make_mask(pattern, seed=seed + i) for i in range(max(count, reference_count))])
    blend_reference(y[:1], known[0], x_g[:1], kind=kind)
    poisson_blend(y[:1], known[0], x_g[:1], kind=kind, cache=FactorCache(), clip=False)

    solver_times: list[float] = []
    began = time.perf_counter()
    for n in range(reference_count):
        blend_reference(y[n % count], known[n], x_g[n % count], kind=kind, solve_times=solver_times)
    cvx = (time.perf_counter() - began) / reference_count
    began = time.perf_counter()
    for n in range(count):
        poisson_blend(y[n], known[n], x_g[n], kind=kind, cache=FactorCache(), clip=False)
    own = (time.perf_counter() - began) / count
    began = time.perf_counter()
    poisson_blend(y, known[0], x_g, kind=kind, cache=FactorCache(), clip=False)
    shared = (time.perf_counter() - began) / count
    return {"cvxpy_ms": 1000 * cvx, "cvxpy_solver_only_ms": 1000 * sum(solver_times) / reference_count,
            "fast_own_mask_ms": 1000 * own, "fast_shared_mask_ms": 1000 * shared}
