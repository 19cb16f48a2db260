"""Eq. 6: the exact sparse solver against cvxpy, known pixels exact, factor reuse."""
from __future__ import annotations

import numpy as np
import pytest

from inpaintkit import blending, masks


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (2, 64, 64, 3)), rng.uniform(-1, 1, (2, 64, 64, 3))


@pytest.mark.parametrize("pattern", [1, 2, 3, 4, 5, 6])
def test_fast_solver_matches_cvxpy(pattern, images):
    y, x_g = images
    known = masks.make_mask(pattern, seed=pattern)
    fast = blending.poisson_blend(y[:1], known, x_g[:1], clip=False)
    reference = blending.blend_reference(y[:1], known, x_g[:1])
    assert np.abs(fast - reference).max() < 1e-6


def test_fast_solver_matches_cvxpy_with_the_plain_laplacian(images):
    y, x_g = images
    known = masks.make_mask(1, seed=3)
    fast = blending.poisson_blend(y[:1], known, x_g[:1], kind="laplacian", clip=False)
    reference = blending.blend_reference(y[:1], known, x_g[:1], kind="laplacian")
    assert np.abs(fast - reference).max() < 1e-6


def test_the_two_operators_differ_by_the_identity():
    difference = blending.poisson_operator("laplacian") - blending.poisson_operator("paper")
    assert (difference != blending.poisson_operator("paper").shape[0] * 0).nnz == 64 * 64
    np.testing.assert_array_equal(difference.diagonal(), np.ones(64 * 64))


@pytest.mark.parametrize("pattern", [1, 3, 6])
def test_known_pixels_come_back_exactly(pattern, images):
    y, x_g = images
    known = masks.make_masks(pattern, 2, seed=1)
    out = blending.poisson_blend(y, known, x_g)
    np.testing.assert_array_equal(out[known], y.astype(np.float32)[known])


def test_blending_an_image_into_itself_returns_it(images):
    y, _ = images
    out = blending.poisson_blend(y, masks.make_mask(2, seed=0), y)
    np.testing.assert_allclose(out, y, atol=1e-6)


def test_shared_mask_is_factorised_once_and_equals_per_image_solves():
    rng = np.random.default_rng(1)
    y, x_g = rng.uniform(-1, 1, (8, 64, 64, 3)), rng.uniform(-1, 1, (8, 64, 64, 3))
    known = masks.make_mask(1, seed=7)
    cache = blending.FactorCache()
    together = blending.poisson_blend(y, known, x_g, cache=cache, clip=False)
    assert (cache.misses, cache.hits) == (1, 0)
    one_by_one = np.concatenate([blending.poisson_blend(y[i:i + 1], known, x_g[i:i + 1], clip=False)
                                 for i in range(8)])
    np.testing.assert_allclose(together, one_by_one, atol=1e-6)


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


def test_bad_input_is_named(images):
    y, x_g = images
    with pytest.raises(ValueError, match="same shape"):
        blending.poisson_blend(y, masks.make_mask(5), x_g[:1])
    with pytest.raises(masks.MaskError, match="no known pixel"):
        blending.poisson_blend(y, np.zeros((64, 64), bool), x_g)
    with pytest.raises(ValueError, match="NaN"):
        blending.poisson_blend(y * np.nan, masks.make_mask(5), x_g)
    with pytest.raises(ValueError, match="kind"):
        blending.poisson_blend(y, masks.make_mask(5), x_g, kind="sobel")


def test_the_blend_is_clipped_to_the_image_range_unless_asked_not_to():
    rng = np.random.default_rng(2)
    y = rng.uniform(-1, 1, (1, 64, 64, 3))
    x_g = rng.uniform(-1, 1, (1, 64, 64, 3)) * 3  # strong gradients make the exact solution overshoot
    known = masks.make_mask(2, seed=0)
    exact = blending.poisson_blend(y, known, x_g, clip=False)
    assert np.abs(exact).max() > 1
    clipped = blending.poisson_blend(y, known, x_g)
    np.testing.assert_array_equal(clipped, np.clip(exact, -1, 1))
