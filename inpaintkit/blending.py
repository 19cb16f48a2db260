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
positive definite (see above), so an exact direct solve gives the same answer as the convex
solver, up to rounding. :func:`poisson_blend` builds it from the sparse DᵀD (scipy.sparse),
factorises it once per distinct mask and reuses the factor for every channel and every image
sharing the mask; :func:`blend_reference` states Eq. 6 in cvxpy, as the paper did in CVX, to
check it. Both use the same matrix D from :func:`poisson_operator`.

The factorisation is a banded Cholesky (scipy's ``cholesky_banded``, LAPACK ``dpbtrf``): taken
row by row, the missing pixels couple only to those at most two image rows away, so D_Mᵀ D_M is
a band matrix whose factor stays in the band (:func:`_banded_normal_matrix`). One factor per
distinct mask serves every channel and image with that mask (``cho_solve_banded``). How fast
against cvxpy: ``benchmarks/bench_blending.py``.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_solve_banded, cholesky_banded
from threadpoolctl import ThreadpoolController

from .errors import InputError, check_range, image_floats
from .masks import broadcast_masks, make_mask

__all__ = ["FACTORS", "KINDS", "FactorCache", "blend_checked", "blend_reference", "distinct_masks", "paste",
           "poisson_blend", "poisson_operator", "seam_error", "time_solvers"]

KINDS = {"paper": -9.0, "laplacian": -8.0}  # the kernel's centre; every other entry is 1
SIZE = 64


@lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()  # finds the loaded BLAS libraries once (it takes milliseconds)


def _one_blas_thread():
    """A context in which BLAS/LAPACK runs single-threaded. The band matrices are small (kd ≤ ~130):
    extra BLAS threads only wait on each other, and on a busy machine their spinning made a
    factorisation 50-100× slower (measured: 4 ms → 300-460 ms per image at load 8 on 2 cores).
    """
    return _blas_controller().limit(limits=1, user_api="blas")


def poisson_operator(kind: str = "paper", size: int = SIZE) -> sp.csr_matrix:
    """D as a sparse (size², size²) matrix acting on one row-major flattened channel.

    Zero padding ("same" size); see the module docstring for why. Returns a fresh copy, so
    editing it cannot change the solvers' cached operator.
    """
    return _operator(kind, size).copy()


@lru_cache(maxsize=4)
def _operator(kind: str, size: int) -> sp.csr_matrix:
    if kind not in KINDS:
        raise InputError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
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


@lru_cache(maxsize=4)
def _normal_entries(kind: str, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DᵀD's nonzeros (p, q, value) with p ≥ q in row-major pixel order: one triangle is enough,
    since DᵀD is symmetric."""
    Q = _normal_matrix(kind, size).tocoo()
    lower = Q.row >= Q.col
    return Q.row[lower], Q.col[lower], Q.data[lower]


def _banded_normal_matrix(known: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """D_Mᵀ D_M in lower band storage, and the order of its unknowns.

    DᵀD couples pixels up to two rows and two columns apart, so with the missing pixels taken
    row by row every coupling lies within about two image rows' worth of unknowns of the
    diagonal. Taken column by column the band is two columns' worth; the kit takes the missing
    pixels along whichever direction has fewer per line (the left half, pattern 4, has half the
    band by rows). D's kernel is symmetric, so DᵀD is the same for the transposed image and
    going by columns is going by rows through the transposed mask.

    Returns ``order`` (the row-major pixel index of each unknown) and ``band`` (n, kd + 1) with
    ``band[j, i − j]`` = entry (i, j) of D_Mᵀ D_M, i ≥ j (``band.T`` is scipy's lower form).
    """
    size = known.shape[0]
    missing = ~known
    by_columns = missing.sum(axis=0).max() < missing.sum(axis=1).max()
    flat = (missing.T if by_columns else missing).ravel()
    p, q, value = _normal_entries(kind, size)
    # Entries of D_Mᵀ D_M: both pixels missing. (take: 2–3× faster than [] indexing here.)
    entries = np.flatnonzero(flat.take(p) & flat.take(q))
    rank = np.cumsum(flat) - 1  # position of each missing pixel among the unknowns
    i, j = rank.take(p.take(entries)), rank.take(q.take(entries))
    shape = (int(flat.sum()), int((i - j).max()) + 1)
    band = np.zeros(shape)
    band.ravel()[j * shape[1] + (i - j)] = value.take(entries)
    order = np.flatnonzero(flat)
    if by_columns:
        order = (order % size) * size + order // size  # back to row-major pixel indices
    return order, band


class _Factor:
    """The banded Cholesky factor of D_Mᵀ D_M for one mask and operator.

    With ỹ = y on known pixels and 0 on missing ones, D_Mᵀ(D x_g − D_K y_K) = [DᵀD (x_g − ỹ)]_M,
    so one precomputed DᵀD gives both the matrix and the right-hand side.

    Why a band solver: the factor of a band matrix stays inside the band, and a hole in a
    64×64 image has a band of at most about 130 (two image rows), so LAPACK's dense-band
    Cholesky does about n·kd² work in cache-friendly blocks. On the six patterns it factorised
    2.7–5.4× faster than a general sparse LU (scipy's SuperLU with a minimum-degree ordering),
    although that LU keeps fewer nonzeros.
    """

    def __init__(self, known: np.ndarray, kind: str):
        self.missing, band = _banded_normal_matrix(known, kind)
        self.Q = _normal_matrix(kind, known.shape[0])
        # Lower form (kd + 1, n), factorised in place (band.T is already Fortran-ordered: no copy);
        # check_finite=False: DᵀD is finite by construction.
        self.factor = cholesky_banded(band.T, overwrite_ab=True, lower=True, check_finite=False)

    def solve(self, difference: np.ndarray) -> np.ndarray:
        """x_M for columns of x_g − ỹ ((all pixels, columns), float64): (missing pixels, columns)."""
        return cho_solve_banded((self.factor, True), (self.Q @ difference)[self.missing], check_finite=False)


def factor_key(known: np.ndarray, kind: str) -> tuple:
    """What identifies a factorisation: the mask's bits, its shape and the operator."""
    return np.packbits(known).tobytes(), known.shape, kind


class FactorCache:
    """Factors keyed by :func:`factor_key`; the least recently used is dropped first.

    ``misses`` counts factorisations, ``hits`` reuses.
    """

    def __init__(self, size: int = 32):
        self.size = size
        self.store: OrderedDict[tuple, _Factor] = OrderedDict()
        self.hits = self.misses = 0

    def find(self, key: tuple) -> _Factor | None:
        """The cached factor (counted as a hit), or None."""
        if key not in self.store:
            return None
        self.hits += 1
        self.store.move_to_end(key)
        return self.store[key]

    def add(self, key: tuple, factor: _Factor) -> None:
        """Keep a new factorisation (counted as a miss)."""
        self.misses += 1
        self.store[key] = factor
        if len(self.store) > self.size:
            self.store.popitem(last=False)

    def clear(self) -> None:
        self.store.clear()
        self.hits = self.misses = 0


FACTORS = FactorCache()


def _check(y, known, x_g, value_range: tuple[float, float] | None = (-1.0, 1.0)):
    """y and x_g as float64 (N, 64, 64, 3) (copies only where needed), a (N, 64, 64) mask, and the
    output dtype. Values must be finite and lie in ``value_range`` ([−1, 1], the kit's image
    range; None: any finite value)."""
    arrays = []
    for name, value in (("y", y), ("x_g", x_g)):
        array = image_floats(value, name) if value_range == (-1.0, 1.0) else np.asarray(value)
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise InputError(f"{name} must hold numbers, got dtype {array.dtype}")
        arrays.append(array)
    # Return the inputs' precision (at least float32), so known pixels come back bit for bit.
    dtype = np.result_type(*arrays, np.float32)
    y, x_g = (a[None] if a.ndim == 3 else a for a in arrays)
    if y.shape != x_g.shape:
        raise InputError(f"y {y.shape} and x_g {x_g.shape} must have the same shape")
    if y.ndim != 4 or y.shape[1:] != (SIZE, SIZE, 3):
        raise InputError(f"images must have shape (N, {SIZE}, {SIZE}, 3) or ({SIZE}, {SIZE}, 3), got {y.shape}")
    # Blending is linear, but a 0–255 image would have its hole clipped to [−1, 1]: refuse it.
    for name, array in (("y", y), ("x_g", x_g)):
        check_range(array, name, *value_range) if value_range else check_range(array, name, -np.inf, np.inf)
    known = broadcast_masks(known, len(y))  # MaskError: shape, count, no hole, no known pixel
    return np.asarray(y, dtype=np.float64), known, np.asarray(x_g, dtype=np.float64), dtype


def poisson_blend(y, known, x_g, kind: str = "paper", cache: FactorCache | None = None,
                  clip: bool | tuple[float, float] = True) -> np.ndarray:
    """Eq. 6 for a batch by an exact direct solve (banded Cholesky); (N, 64, 64, 3).

    ``y`` (damaged image) and ``x_g`` (generated image): (N, 64, 64, 3) or (64, 64, 3);
    ``known``: one (64, 64) mask for the whole batch or (N, 64, 64). Known pixels are copied
    from y, never solved for, so they equal y exactly. The result has the inputs' float
    precision (float32 for float32 images).

    ``clip``: the exact minimiser can overshoot the image range a little where x_g has strong
    gradients, and the blend is an image, so by default the solved (missing) pixels are clipped
    to [−1, 1]; give ``(low, high)`` for another range, or ``False`` for the exact minimiser (as
    cvxpy returns it). Known pixels are never clipped. When clipping, y and x_g must lie in
    [−1, 1] (in the ``(low, high)`` range when one is given): a 0–255 image is refused, not clipped.

    Images that share a mask share one factorisation, kept in ``cache`` (default: the module's
    :data:`FACTORS`), and are solved together: one right-hand side per channel and image.
    """
    # Clipping to a range only makes sense for images in that range (a 0–255 image would lose its
    # hole); the exact minimiser (clip=False) is linear and takes any scale, as cvxpy does.
    value_range = None if clip is False else tuple(clip) if isinstance(clip, tuple) else (-1.0, 1.0)
    if value_range is not None and not (len(value_range) == 2 and value_range[0] < value_range[1]):
        raise InputError(f"clip must be True, False or (low, high) with low < high, got {clip!r}")
    if value_range is None and (np.asarray(y).dtype == np.uint8) != (np.asarray(x_g).dtype == np.uint8):
        # Any scale, but one: a uint8 y around a float x_g (or the reverse) mixes 0–255 with [−1, 1].
        raise InputError("with clip=False, y and x_g must be on one scale: one is uint8 (0–255), the other is "
                         "not; convert both to [−1, 1] (image / 127.5 − 1) or use clip=True")
    y, known, x_g, dtype = _check(y, known, x_g, value_range)
    return _blend(y, known, x_g, dtype, kind, cache, clip)


def blend_checked(y: np.ndarray, known: np.ndarray, x_g: np.ndarray, kind: str = "paper") -> np.ndarray:
    """:func:`poisson_blend` of inputs already checked by the caller (float32 (N, 64, 64, 3) images in
    [−1, 1], a (N, 64, 64) bool mask): Fig. 8 checks its inputs once, then blends twice."""
    return _blend(np.asarray(y, np.float64), known, np.asarray(x_g, np.float64), np.dtype(np.float32), kind,
                  None, True)


def _blend(y, known, x_g, dtype, kind: str, cache: FactorCache | None, clip) -> np.ndarray:
    _operator(kind, SIZE)  # an unknown kind fails here, before anything is counted or solved
    cache = FACTORS if cache is None else cache
    groups: dict[tuple, list[int]] = {}  # images by mask: one factorisation each
    for n, mask in enumerate(known):
        groups.setdefault(factor_key(mask, kind), []).append(n)
    out = np.where(known[..., None], y, 0.0)  # ỹ: y on known pixels, 0 in the hole, until solved
    pixels = out.reshape(len(out), SIZE * SIZE, 3)  # a view: writing it fills the holes of out
    # One column per image and channel, one row per pixel.
    columns = lambda images, members: images[members].transpose(1, 2, 0, 3).reshape(SIZE * SIZE, -1)
    with _one_blas_thread():
        for key, members in groups.items():
            members = np.array(members)
            factor = cache.find(key)
            if factor is None:
                factor = _Factor(known[members[0]], kind)
                cache.add(key, factor)
            values = factor.solve(columns(x_g, members) - columns(out, members))
            if clip is not False:
                low, high = (-1.0, 1.0) if clip is True else clip
                values = np.clip(values, low, high)
            # values: (missing pixels, image × channel) → (image, missing pixels, channel)
            pixels[members[:, None], factor.missing] = values.reshape(-1, len(members), 3).transpose(1, 0, 2)
    return out.astype(dtype, copy=False)


def paste(y, known, x_g) -> np.ndarray:
    """No blending: known pixels from y, missing pixels straight from x_g (Fig. 5, left)."""
    y, known, x_g, dtype = _check(y, known, x_g, None)
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

    y, known, x_g, _ = _check(y, known, x_g, None)
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


def distinct_masks(pattern: int, count: int, seed: int = 0) -> np.ndarray:
    """``count`` different masks of a pattern, (count, 64, 64), so that each image of a batch
    pays for a factorisation of its own.

    Random placements come from ``seed``, ``seed + 1``, ...; a mask drawn before (always, for
    the fixed patterns 4 and 5) is rolled sideways one more column at a time (then down a row)
    until it is new: the same hole size and shape, so the same cost to factorise.
    """
    seen: set[bytes] = set()
    out = []
    for n in range(count):
        mask = make_mask(pattern, seed=seed + n)
        for shift in range(SIZE * SIZE):
            moved = np.roll(mask, (shift // SIZE, shift % SIZE), axis=(0, 1))
            if moved.tobytes() not in seen:
                break
        else:
            raise InputError(f"pattern {pattern} has fewer than {count} different placements")
        seen.add(moved.tobytes())
        out.append(moved)
    return np.stack(out)


def time_solvers(count: int = 64, reference_count: int = 1, seed: int = 0, pattern: int = 1,
                 kind: str = "paper") -> dict[str, float]:
    """Milliseconds per 64×64×3 image (3 channels), on random images:

    - ``cvxpy_ms``: Eq. 6 as stated in cvxpy (modelling + solver), ``reference_count`` images;
    - ``cvxpy_solver_only_ms``: of which the solver itself;
    - ``fast_own_mask_ms``: one call of the fast solver on ``count`` images with a different
      mask each (:func:`distinct_masks`), so every image pays a factorisation; the way the
      pipeline blends a batch of random holes;
    - ``fast_shared_mask_ms``: one call on ``count`` images sharing one mask: one factorisation;
    - ``fast_one_image_ms``: one call per image, each with its own mask (for information).

    Each is warmed up first with a call of the same size (imports, cvxpy's first
    compile, DᵀD), so only steady-state work is timed.
    """
    rng = np.random.default_rng(seed)
    y, x_g = rng.uniform(-1, 1, (2, count, SIZE, SIZE, 3))
    known = distinct_masks(pattern, count, seed=seed)
    blend_reference(y[:1], known[0], x_g[:1], kind=kind)
    poisson_blend(y, known, x_g, kind=kind, cache=FactorCache(), clip=False)  # a fresh cache below

    def per_image(run, images: int) -> float:
        began = time.perf_counter()
        run()
        return 1000 * (time.perf_counter() - began) / images

    solver_times: list[float] = []
    cvx = per_image(lambda: [blend_reference(y[n % count], known[n % count], x_g[n % count], kind=kind,
                                             solve_times=solver_times) for n in range(reference_count)],
                    reference_count)
    own = per_image(lambda: poisson_blend(y, known, x_g, kind=kind, cache=FactorCache(), clip=False), count)
    shared = per_image(lambda: poisson_blend(y, known[0], x_g, kind=kind, cache=FactorCache(), clip=False), count)
    one = per_image(lambda: [poisson_blend(y[n], known[n], x_g[n], kind=kind, cache=FactorCache(), clip=False)
                             for n in range(count)], count)
    return {"cvxpy_ms": cvx, "cvxpy_solver_only_ms": 1000 * sum(solver_times) / reference_count,
            "fast_own_mask_ms": own, "fast_shared_mask_ms": shared, "fast_one_image_ms": one}
