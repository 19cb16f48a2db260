"""Eq. 6: the exact sparse solver against cvxpy, the operator, known pixels exact, factor reuse."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from inpaintkit import blending, masks

PATTERNS = [1, 2, 3, 4, 5, 6]
KINDS = ["paper", "laplacian"]


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (2, 64, 64, 3)), rng.uniform(-1, 1, (2, 64, 64, 3))


# ----------------------------------------------------------------------------- the operator D
@pytest.mark.parametrize("kind, centre", [("paper", -9.0), ("laplacian", -8.0)])
def test_operator_is_the_3x3_kernel_with_zero_padding(kind, centre):
    D = blending.poisson_operator(kind)
    image = np.random.default_rng(0).normal(size=(64, 64))
    kernel = np.ones((3, 3))
    kernel[1, 1] = centre
    padded = np.pad(image, 1)
    expected = sum(kernel[a, b] * padded[a:a + 64, b:b + 64] for a in range(3) for b in range(3))
    np.testing.assert_allclose((D @ image.ravel()).reshape(64, 64), expected, atol=1e-12)


def test_the_two_operators_differ_by_the_identity():
    difference = blending.poisson_operator("laplacian") - blending.poisson_operator("paper")
    assert abs(difference - sp.identity(64 * 64)).max() == 0


@pytest.mark.parametrize("kind", KINDS)
def test_operator_is_invertible(kind):
    """D = B⊗B + (c − 1)I with B tridiagonal ones, so its eigenvalues are λᵢλⱼ + c − 1 (λ: B's)."""
    B = sp.diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(64, 64))
    centre = blending.KINDS[kind]
    D = blending.poisson_operator(kind)
    assert abs(D - (sp.kron(B, B) + (centre - 1) * sp.identity(64 * 64))).max() == 0
    lam = np.linalg.eigvalsh(B.toarray())
    nearest_zero = np.abs(np.multiply.outer(lam, lam) + centre - 1).min()
    assert nearest_zero > (0.9 if kind == "paper" else 0.01)


def test_operator_copies_cannot_change_the_solver():
    D = blending.poisson_operator()
    D.data[:] = 0
    assert blending.poisson_operator().count_nonzero() > 0


# ----------------------------------------------------------------------------- exactness
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_fast_solver_matches_cvxpy(pattern, kind, images):
    y, x_g = images
    known = masks.make_mask(pattern, seed=pattern)
    fast = blending.poisson_blend(y[:1], known, x_g[:1], kind=kind, clip=False)
    reference = blending.blend_reference(y[:1], known, x_g[:1], kind=kind)
    assert np.abs(fast - reference).max() < 1e-6


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_fast_solution_satisfies_the_optimality_conditions(pattern, kind, images):
    """Gradient of Eq. 6 with respect to the missing pixels, D_Mᵀ(D x − D x_g), vanishes."""
    y, x_g = images
    known = masks.make_masks(pattern, 2, seed=pattern)
    x = blending.poisson_blend(y, known, x_g, kind=kind, clip=False)
    D = blending.poisson_operator(kind)
    for n in range(2):
        missing = ~known[n].ravel()
        residual = D @ (x[n] - x_g[n]).reshape(-1, 3)
        assert np.abs(D[:, missing].T @ residual).max() < 1e-9


@pytest.mark.parametrize("pattern", [1, 3, 6])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_known_pixels_come_back_exactly(pattern, dtype, images):
    y, x_g = (a.astype(dtype) for a in images)
    known = masks.make_masks(pattern, 2, seed=1)
    out = blending.poisson_blend(y, known, x_g)
    assert out.dtype == dtype
    assert np.array_equal(out[known], y[known])


def test_known_pixels_are_never_clipped_and_another_range_must_be_named(images):
    y, x_g = (a * 100 for a in images)  # another range than [-1, 1]
    known = masks.make_mask(1, seed=0)
    wide = blending.poisson_blend(y, known, x_g, clip=(-100, 100))
    assert np.array_equal(wide[:, known], y[:, known])
    assert np.abs(wide[:, ~known]).max() > 1
    # Without naming the range, images outside [-1, 1] (e.g. 0-255) are refused, not clipped.
    with pytest.raises(ValueError, match=r"y must lie in \[-1, 1\], found \[-100, 100\]"):
        blending.poisson_blend(y, known, x_g)


def test_blending_an_image_into_itself_returns_it(images):
    y, _ = images
    for pattern in PATTERNS:
        out = blending.poisson_blend(y, masks.make_mask(pattern, seed=0), y, clip=False)
        np.testing.assert_allclose(out, y, rtol=0, atol=1e-10)


def test_single_image_input():
    rng = np.random.default_rng(3)
    y, x_g = rng.uniform(-1, 1, (2, 64, 64, 3))
    known = masks.make_mask(5)
    single = blending.poisson_blend(y, known, x_g)
    assert single.shape == (1, 64, 64, 3)
    np.testing.assert_array_equal(single, blending.poisson_blend(y[None], known[None], x_g[None]))


def test_paste_takes_known_from_y_and_missing_from_x_g(images):
    y, x_g = images
    known = masks.make_mask(2, seed=4)
    pasted = blending.paste(y, known, x_g)
    assert np.array_equal(pasted[:, known], y[:, known])
    assert np.array_equal(pasted[:, ~known], x_g[:, ~known])


def test_blending_smooths_the_seam_that_pasting_leaves():
    """Fig. 5: a constant offset between x_g and y is a seam for paste, nothing for the blend."""
    y = np.zeros((1, 64, 64, 3))
    x_g = y + 0.5
    known = masks.make_mask(5)
    pasted = blending.paste(y, known, x_g)
    blended = blending.poisson_blend(y, known, x_g, kind="laplacian")
    jump = lambda img: np.abs(np.diff(img[0, 32, :, 0])).max()
    assert jump(pasted) == pytest.approx(0.5)
    assert jump(blended) < 0.05
    assert blending.seam_error(blended, known)[0] < blending.seam_error(pasted, known)[0] / 10


def test_the_blend_is_clipped_to_the_image_range_unless_asked_not_to():
    rng = np.random.default_rng(2)
    y = rng.uniform(-1, 1, (1, 64, 64, 3))
    x_g = rng.choice([-1.0, 1.0], (1, 64, 64, 3))  # strong gradients make the exact solution overshoot
    known = masks.make_mask(2, seed=0)
    exact = blending.poisson_blend(y, known, x_g, clip=False)
    assert np.abs(exact).max() > 1
    clipped = blending.poisson_blend(y, known, x_g)
    np.testing.assert_array_equal(clipped, np.clip(exact, -1, 1))


# ----------------------------------------------------------------------------- the band factorisation
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_band_holds_exactly_the_normal_matrix_of_the_missing_pixels(pattern, kind):
    known = masks.make_mask(pattern, seed=pattern)
    order, band = blending._banded_normal_matrix(known, kind)
    assert sorted(order) == list(np.flatnonzero(~known.ravel()))
    D = blending.poisson_operator(kind)[:, order].toarray()
    expected = D.T @ D  # D_Mᵀ D_M, unknowns in the solver's order
    n, kd = band.shape[0], band.shape[1] - 1
    assert np.abs(np.tril(expected, -kd - 1)).max() == 0  # nothing outside the band
    for offset in range(kd + 1):
        np.testing.assert_allclose(band[:n - offset, offset], np.diag(expected, -offset), atol=1e-12)


def test_the_band_runs_along_the_shorter_side_of_the_hole():
    left_half = masks.make_mask(4)
    rows_order, rows_band = blending._banded_normal_matrix(left_half, "paper")
    columns_order, columns_band = blending._banded_normal_matrix(left_half.T, "paper")  # the top half
    assert rows_band.shape[1] - 1 == columns_band.shape[1] - 1 == 2 * 32 + 2  # two rows of 32, not of 64
    assert list(rows_order[:3]) == [0, 1, 2]  # along the first image row
    assert list(columns_order[:3]) == [0, 64, 128]  # down the first image column


def test_a_small_cache_gives_the_same_answers_as_fresh_factors():
    """Factors dropped from a small cache and made again answer exactly as before; a batch of
    distinct masks equals one call per image."""
    rng = np.random.default_rng(9)
    y, x_g = rng.uniform(-1, 1, (2, 4, 64, 64, 3))
    small = blending.FactorCache(size=1)
    for round_ in range(3):
        known = blending.distinct_masks(6, 4, seed=10 * round_ % 20)
        batch = blending.poisson_blend(y, known, x_g, cache=small, clip=False)
        for n in range(4):
            alone = blending.poisson_blend(y[n], known[n], x_g[n], cache=blending.FactorCache(), clip=False)
            np.testing.assert_array_equal(batch[n], alone[0])
    assert len(small.store) == 1


@pytest.mark.parametrize("pattern", PATTERNS)
def test_distinct_masks_are_different_placements_of_the_same_hole(pattern):
    batch = blending.distinct_masks(pattern, 64, seed=0)
    assert len({mask.tobytes() for mask in batch}) == 64
    holes = (~batch).sum(axis=(1, 2))
    assert (holes == holes[0]).all()
    if pattern == 4:  # the left half has only 64 placements (column shifts)
        with pytest.raises(ValueError, match="fewer than 65"):
            blending.distinct_masks(pattern, 65)


# ----------------------------------------------------------------------------- factor reuse
def test_shared_mask_is_factorised_once_and_equals_per_image_solves():
    rng = np.random.default_rng(1)
    y, x_g = rng.uniform(-1, 1, (2, 64, 64, 64, 3))
    known = masks.make_mask(6, seed=7)
    cache = blending.FactorCache()
    together = blending.poisson_blend(y, known, x_g, cache=cache, clip=False)
    assert (cache.misses, cache.hits) == (1, 0)
    one_by_one = np.concatenate([blending.poisson_blend(y[i], known, x_g[i], cache=cache, clip=False)
                                 for i in range(64)])
    assert (cache.misses, cache.hits) == (1, 64)
    np.testing.assert_allclose(together, one_by_one, rtol=0, atol=1e-12)


def test_a_batch_is_grouped_by_distinct_mask():
    rng = np.random.default_rng(5)
    y, x_g = rng.uniform(-1, 1, (2, 6, 64, 64, 3))
    a, b = masks.make_mask(1, seed=0), masks.make_mask(6, seed=0)
    known = np.stack([a, b, a, b, a, b])
    cache = blending.FactorCache()
    mixed = blending.poisson_blend(y, known, x_g, cache=cache, clip=False)
    assert (cache.misses, cache.hits) == (2, 0)
    for n in range(6):
        alone = blending.poisson_blend(y[n], known[n], x_g[n], cache=blending.FactorCache(), clip=False)
        np.testing.assert_allclose(mixed[n], alone[0], rtol=0, atol=1e-12)


def test_cache_keys_on_the_operator_and_drops_the_least_recently_used():
    rng = np.random.default_rng(6)
    y, x_g = rng.uniform(-1, 1, (2, 64, 64, 3))
    m1, m2 = masks.make_mask(1, seed=10), masks.make_mask(1, seed=11)
    cache = blending.FactorCache(size=2)
    blending.poisson_blend(y, m1, x_g, cache=cache)
    blending.poisson_blend(y, m1, x_g, kind="laplacian", cache=cache)  # another operator: new factor
    assert cache.misses == 2
    blending.poisson_blend(y, m1, x_g, cache=cache)  # m1/paper is now the most recent
    blending.poisson_blend(y, m2, x_g, cache=cache)  # evicts m1/laplacian
    assert (cache.misses, cache.hits, len(cache.store)) == (3, 1, 2)
    blending.poisson_blend(y, m1, x_g, cache=cache)
    assert cache.hits == 2
    blending.poisson_blend(y, m1, x_g, kind="laplacian", cache=cache)
    assert cache.misses == 4


# ----------------------------------------------------------------------------- validation
def test_bad_input_is_named(images):
    y, x_g = images
    centre = masks.make_mask(5)
    with pytest.raises(ValueError, match=r"y \(2, 64, 64, 3\) and x_g \(1, 64, 64, 3\)"):
        blending.poisson_blend(y, centre, x_g[:1])
    with pytest.raises(ValueError, match=r"got \(2, 64, 64, 1\)"):
        blending.poisson_blend(y[..., :1], centre, x_g[..., :1])
    with pytest.raises(ValueError, match=r"got \(2, 32, 32, 3\)"):
        blending.paste(y[:, :32, :32], centre, x_g[:, :32, :32])
    with pytest.raises(masks.MaskError, match=r"\(64, 64\) or \(N, 64, 64\), got \(32, 32\)"):
        blending.poisson_blend(y, centre[:32, :32], x_g)
    with pytest.raises(masks.MaskError, match="3 masks for a batch of 2"):
        blending.poisson_blend(y, np.stack([centre] * 3), x_g)
    with pytest.raises(masks.MaskError, match="no known pixel"):
        blending.poisson_blend(y, np.zeros((64, 64), bool), x_g)
    with pytest.raises(masks.MaskError, match="no missing pixel"):
        blending.poisson_blend(y, np.ones((64, 64), bool), x_g)
    with pytest.raises(ValueError, match="y holds NaN"):
        blending.poisson_blend(y * np.nan, centre, x_g)
    with pytest.raises(ValueError, match="x_g holds NaN or infinite"):
        blending.poisson_blend(y, centre, np.where(centre[..., None], x_g, np.inf))
    with pytest.raises(ValueError, match="kind"):
        blending.poisson_blend(y, centre, x_g, kind="sobel")
    with pytest.raises(ValueError, match="kind"):
        blending.poisson_operator("sobel")
