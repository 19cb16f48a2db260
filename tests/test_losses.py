"""Eq. 3–5: content weights against a brute-force loop, stable perceptual loss."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from inpaintkit import losses, masks


def brute_force_weights(known: np.ndarray, n: int, variant: str = "paper") -> np.ndarray:
    """Eq. 4's wᵢ pixel by pixel: the window clipped to the image, known pixels only."""
    size, half = known.shape[0], n // 2
    out = np.zeros(known.shape, dtype=np.float64)
    for i in range(size):
        for j in range(size):
            if not known[i, j]:
                continue
            window = known[max(0, i - half):i + half + 1, max(0, j - half):j + half + 1]
            holes, clean = (~window).sum(), window.sum()
            if holes:
                out[i, j] = holes / (clean if variant == "paper" else window.size)
    return out


@pytest.mark.parametrize("n", [3, 5, 7, 9])
@pytest.mark.parametrize("variant", ["paper", "yeh"])
def test_content_weights_match_brute_force(n, variant):
    rng = np.random.default_rng(n)
    batch = np.stack([rng.random((64, 64)) > 0.15,       # scattered holes
                      rng.random((64, 64)) > 0.9,        # mostly holes
                      masks.make_mask(1, seed=n), masks.make_mask(3, seed=n), masks.make_mask(4)])
    got = losses.content_weights(batch, n=n, variant=variant)
    assert got.dtype == np.float32 and got.shape == batch.shape
    want = np.stack([brute_force_weights(k, n, variant) for k in batch])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_one_mask_gives_a_batch_of_one():
    known = masks.make_mask(5)
    assert losses.content_weights(known).shape == (1, 64, 64)
    np.testing.assert_array_equal(losses.content_weights(known), losses.content_weights(known[None]))
    np.testing.assert_array_equal(losses.content_weights(known.astype(np.uint8)), losses.content_weights(known))


def test_weights_vanish_on_missing_pixels_and_far_from_holes():
    known = masks.make_mask(5)  # the centred 32×32 hole, rows and columns 16…47
    w = losses.content_weights(known)[0]
    assert np.all(w[~known] == 0)
    assert np.all(w[:10, :10] == 0)             # far from the centre hole
    assert w[13, 32] == pytest.approx(7 / 42)   # one row of 7 holes in the window
    assert w[15, 32] == pytest.approx(21 / 28)  # three rows of holes, four of known pixels
    assert (w > 0).sum() == 38 * 38 - 32 * 32  # a 3-pixel ring around the hole


def test_yeh_variant_is_the_hole_fraction_of_the_window():
    known = masks.make_mask(5)
    w = losses.content_weights(known, variant="yeh")[0]
    assert w[13, 32] == pytest.approx(7 / 49)
    assert w[15, 32] == pytest.approx(21 / 49)
    # At the border the window holds only its in-image pixels: rows 0…4 (5 of 7) for row 1.
    top = np.ones((64, 64), bool)
    top[0, 30] = False
    assert losses.content_weights(top, variant="yeh")[0, 1, 30] == pytest.approx(1 / 35)
    assert losses.content_weights(top)[0, 1, 30] == pytest.approx(1 / 34)
    assert np.array_equal(losses.content_weights(known, variant="yeh") > 0, losses.content_weights(known) > 0)


@pytest.mark.parametrize("n", [4, 1, 0, -3, 2.5, True])
def test_window_must_be_odd_and_at_least_three(n):
    with pytest.raises(ValueError, match="odd integer ≥ 3"):
        losses.content_weights(masks.make_mask(5), n=n)


def test_bad_variant_and_mask_are_named():
    with pytest.raises(ValueError, match="variant"):
        losses.content_weights(masks.make_mask(5), variant="other")
    with pytest.raises(ValueError, match="shape"):
        losses.content_weights(np.ones(64, bool))
    with pytest.raises(ValueError, match="0 and 1"):
        losses.content_weights(np.full((64, 64), 0.5))


def test_perceptual_loss_is_log_one_minus_d_and_stable():
    values = np.array([-3.0, -0.5, 0.0, 2.5, 8.0])
    expected = np.log(1 - 1 / (1 + np.exp(-values)))
    np.testing.assert_allclose(losses.perceptual_loss(tf.constant(values[:, None], tf.float32)).numpy(),
                               expected, rtol=1e-5)
    extreme = tf.constant([[100.0], [-100.0]])
    with tf.GradientTape() as tape:
        tape.watch(extreme)
        value = losses.perceptual_loss(extreme)
        total = tf.reduce_sum(value)
    gradient = tape.gradient(total, extreme).numpy()
    value = value.numpy()
    assert value.shape == (2,)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(gradient))
    assert value[0] == pytest.approx(-100.0) and -1e-30 < value[1] <= 0.0
    np.testing.assert_allclose(gradient[:, 0], [-1.0, 0.0], atol=1e-6)  # −σ(ℓ)


def test_content_and_inpainting_loss_by_hand():
    x = tf.zeros((2, 64, 64, 3))
    y = tf.ones((2, 64, 64, 3))
    w = np.zeros((2, 64, 64), np.float32)
    w[0, 0, 0], w[0, 5, 5], w[1, 9, 9] = 2.0, 0.5, 1.0
    np.testing.assert_allclose(losses.content_loss(x, y, w).numpy(), [3 * 2.5, 3 * 1.0])
    logits = tf.constant([[0.0], [1.0]])
    total = losses.inpainting_loss(x, y, w, logits, lam=0.1).numpy()
    np.testing.assert_allclose(total, [7.5 + 0.1 * np.log(0.5), 3.0 - 0.1 * np.log1p(np.e)], rtol=1e-6)
    assert losses.LAMBDA == 0.003
    default = losses.inpainting_loss(x, y, w, logits).numpy()
    np.testing.assert_allclose(default, [7.5 + 0.003 * np.log(0.5), 3.0 - 0.003 * np.log1p(np.e)], rtol=1e-6)
