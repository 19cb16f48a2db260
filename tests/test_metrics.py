"""§3.4's metrics against hand computations."""
from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from inpaintkit import masks, metrics


def from_255(values):
    return np.asarray(values, np.float64) / 127.5 - 1


def test_mae_mse_psnr_by_hand():
    a = from_255(np.full((1, 64, 64, 3), 100.0))
    b = from_255(np.full((1, 64, 64, 3), 110.0))
    result = metrics.image_metrics(a, b)
    assert result["MAE"][0] == pytest.approx(10.0)
    assert result["MSE"][0] == pytest.approx(100.0)
    assert result["PSNR"][0] == pytest.approx(10 * np.log10(255 ** 2 / 100))


def test_half_the_pixels_wrong():
    a = np.zeros((1, 64, 64, 3))
    b = a.copy()
    b[0, :, :32] = from_255(127.5 + 20)
    result = metrics.image_metrics(a, b)
    assert result["MAE"][0] == pytest.approx(10.0) and result["MSE"][0] == pytest.approx(200.0)
    hole_only = metrics.image_metrics(a, b, masks.make_mask(4), region="missing")
    assert hole_only["MAE"][0] == pytest.approx(20.0) and hole_only["MSE"][0] == pytest.approx(400.0)


def test_identical_images():
    a = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3))
    result = metrics.image_metrics(a, a)
    assert np.all(result["MSSIM"] == pytest.approx(1.0)) and np.all(np.isinf(result["PSNR"]))


def test_ssim_is_wang_et_al_via_scikit_image():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-1, 1, (2, 64, 64, 3))
    expected = structural_similarity(metrics.to_255(a), metrics.to_255(b), data_range=255, channel_axis=-1,
                                     gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    assert metrics.image_metrics(a, b)["MSSIM"][0] == pytest.approx(expected)


def test_table_psnr_comes_from_the_mean_mse():
    per_image = {"MAE": np.array([1.0, 2.0]), "MSE": np.array([700.0, 854.32]), "PSNR": np.array([0.0, 0.0]),
                 "MSSIM": np.array([0.9, 0.8])}
    means = metrics.mean_metrics(per_image)
    assert means["MSE"] == pytest.approx(777.16)
    assert means["PSNR"] == pytest.approx(19.23, abs=0.005)  # the paper's Table 1, pattern (1)


def test_bad_shapes():
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.image_metrics(np.zeros((1, 64, 64, 3)), np.zeros((2, 64, 64, 3)))
    with pytest.raises(ValueError, match="known mask"):
        metrics.image_metrics(np.zeros((1, 64, 64, 3)), np.zeros((1, 64, 64, 3)), region="missing")
