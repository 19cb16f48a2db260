"""Eq. 3–5: content weights against a brute-force loop, stable perceptual loss."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from inpaintkit import losses, masks


def brute_force_weights(known: np.ndarray, n: int, variant: str = "paper") -> np.ndarray:
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
    batch = np.stack([rng.random((64, 64)) > 0.15, masks.make_mask(1, seed=n), masks.make_mask(3, seed=n)])
    got = losses.content_weights(batch, n=n, variant=variant)
    want = np.stack([brute_force_weights(k, n, variant) for k in batch])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_weights_vanish_on_missing_pixels_and_far_from_holes():
    known = masks.make_mask(5)
    w = losses.content_weights(known)[0]
    assert np.all(w[~known] == 0)
    assert np.all(w[:10, :10] == 0)          # far from the centre hole
    assert w[13, 32] == pytest.approx(7 / 42)  # hole starts at row 16: one row of 7 in the window
    assert w[15, 32] == pytest.approx(21 / 28)  # three rows of holes, four of known pixels
    band = (w > 0).sum()
    assert band == 38 * 38 - 32 * 32         # a 3-pixel ring around the 32×32 hole


def test_window_must_be_odd():
    with pytest.raises(ValueError, match="odd"):
        losses.content_weights(masks.make_mask(5), n=4)
    with pytest.raises(ValueError, match="variant"):
        losses.content_weights(masks.make_mask(5), variant="other")


def test_perceptual_loss_is_log_one_minus_d_and_stable():
    logits = tf.constant([[-3.0], [0.0], [2.5]])
    expected = np.log(1 - 1 / (1 + np.exp(-np.array([-3.0, 0.0, 2.5]))))
    np.testing.assert_allclose(losses.perceptual_loss(logits).numpy(), expected, rtol=1e-6)
    extreme = losses.perceptual_loss(tf.constant([[100.0], [-100.0]])).numpy()
    assert np.all(np.isfinite(extreme)) and extreme[0] == pytest.approx(-100.0)


def test_content_and_inpainting_loss_by_hand():
    x = tf.zeros((1, 64, 64, 3))
    y = tf.ones((1, 64, 64, 3))
    w = np.zeros((1, 64, 64), np.float32)
    w[0, 0, 0], w[0, 5, 5] = 2.0, 0.5
    assert losses.content_loss(x, y, w).numpy()[0] == pytest.approx(3 * 2.5)
    total = losses.inpainting_loss(x, y, w, tf.constant([[0.0]]), lam=0.1).numpy()[0]
    assert total == pytest.approx(7.5 + 0.1 * np.log(0.5))
