"""§3.4's metrics against hand computations."""
from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from inpaintkit import masks, metrics
from inpaintkit.errors import InputError


def from_255(values):
    return np.asarray(values, np.float64) / 127.5 - 1


def test_mae_mse_psnr_by_hand():
    a = from_255(np.full((1, 64, 64, 3), 100.0))
    b = from_255(np.full((1, 64, 64, 3), 110.0))
    result = metrics.image_metrics(a, b)
    assert result["MAE"][0] == pytest.approx(10.0)
    assert result["MSE"][0] == pytest.approx(100.0)
    assert result["PSNR"][0] == pytest.approx(10 * np.log10(255 ** 2 / 100))


def test_unit_range_maps_to_0_255():
    np.testing.assert_allclose(metrics.to_255([-1.0, 0.0, 1.0]), [0.0, 127.5, 255.0])
    with pytest.raises(InputError, match=r"must lie in \[-1, 1\], found \[-1, 1.5\]"):
        metrics.to_255([-1.0, 0.0, 1.0, 1.5])  # out of range is refused, never clipped


def test_mixed_offsets_by_hand():
    """Columns off by 0, 10, 20, 30 grey levels: MAE 15, MSE (0 + 100 + 400 + 900) / 4 = 350."""
    base = np.full((1, 64, 64, 3), 100.0)
    offset = np.tile(np.repeat([0.0, 10.0, 20.0, 30.0], 16), (64, 1))[None, :, :, None]
    result = metrics.image_metrics(from_255(base + offset), from_255(base))
    assert result["MAE"][0] == pytest.approx(15.0) and result["MSE"][0] == pytest.approx(350.0)
    assert result["PSNR"][0] == pytest.approx(10 * np.log10(255 ** 2 / 350.0))
    assert metrics.psnr_from_mse(255.0 ** 2) == pytest.approx(0.0)


def test_half_the_pixels_wrong():
    a = np.full((1, 64, 64, 3), from_255(100.0))
    b = a.copy()
    b[0, :, :32] = from_255(100.0 + 20)
    result = metrics.image_metrics(a, b)
    assert result["MAE"][0] == pytest.approx(10.0) and result["MSE"][0] == pytest.approx(200.0)
    hole_only = metrics.image_metrics(a, b, masks.make_mask(4), region="missing")
    assert hole_only["MAE"][0] == pytest.approx(20.0) and hole_only["MSE"][0] == pytest.approx(400.0)


def test_identical_images():
    a = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3))
    for region in ("image", "missing"):
        result = metrics.image_metrics(a, a, masks.make_mask(5), region=region)
        assert np.all(result["MSSIM"] == pytest.approx(1.0)) and np.all(np.isinf(result["PSNR"]))
        assert np.all(result["MAE"] == 0) and np.all(result["MSE"] == 0)


def test_missing_region_ignores_the_known_pixels():
    rng = np.random.default_rng(2)
    a = rng.uniform(-1, 1, (1, 64, 64, 3))
    known = masks.make_mask(1, seed=3)
    b = np.where(known[..., None], rng.uniform(-1, 1, a.shape), a)  # differs only on known pixels
    hole = metrics.image_metrics(a, b, known, region="missing")
    assert hole["MAE"][0] == 0 and np.isinf(hole["PSNR"][0])
    assert metrics.image_metrics(a, b)["MAE"][0] > 10


def test_missing_region_edge_cases():
    a = np.zeros((1, 64, 64, 3))
    with pytest.raises(ValueError, match="no missing pixel"):
        metrics.image_metrics(a, a + 0.1, np.ones((64, 64), bool), region="missing")
    corner = np.ones((64, 64), bool)
    corner[:3, :3] = False  # a hole wholly inside SSIM's 5-pixel border
    assert np.isfinite(metrics.image_metrics(a, a + 0.1, corner, region="missing")["MSSIM"][0])


def test_ssim_is_wang_et_al_via_scikit_image():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-1, 1, (2, 64, 64, 3))
    expected = structural_similarity(metrics.to_255(a), metrics.to_255(b), data_range=255, channel_axis=-1,
                                     gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    assert metrics.image_metrics(a, b)["MSSIM"][0] == pytest.approx(expected)


def _ssim_by_formula(a, b):
    """Wang et al.'s mean SSIM written out: an 11×11 Gaussian window (σ = 1.5), C1 = (0.01·255)²,
    C2 = (0.03·255)², population statistics, every window that lies inside the image, averaged
    over the windows and the colour channels. Independent of scikit-image."""
    from scipy.signal import convolve2d

    g = np.exp(-np.arange(-5, 6) ** 2 / (2 * 1.5 ** 2))
    window = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    values = []
    for c in range(3):
        x, y = a[..., c], b[..., c]
        blur = lambda image: convolve2d(image, window, mode="valid")
        mx, my = blur(x), blur(y)
        vx, vy, cxy = blur(x * x) - mx ** 2, blur(y * y) - my ** 2, blur(x * y) - mx * my
        values.append(((2 * mx * my + c1) * (2 * cxy + c2) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))).mean())
    return float(np.mean(values))


def test_ssim_matches_the_formula_computed_independently():
    rng = np.random.default_rng(4)
    smooth = np.cumsum(rng.normal(0, 0.05, (2, 64, 64, 3)), axis=2).clip(-1, 1)
    for a, b in ((smooth[0], smooth[1]), (smooth[0], np.clip(smooth[0] + rng.normal(0, 0.1, (64, 64, 3)), -1, 1))):
        expected = _ssim_by_formula(metrics.to_255(a), metrics.to_255(b))
        assert metrics.image_metrics(a, b)["MSSIM"][0] == pytest.approx(expected, abs=1e-9)
    # Two flat images have no variance: SSIM is the luminance term alone, (2 m n + C1) / (m² + n² + C1).
    m, n, c1 = 100.0, 150.0, (0.01 * 255) ** 2
    flat = lambda value: np.full((64, 64, 3), value / 127.5 - 1)
    assert metrics.image_metrics(flat(m), flat(n))["MSSIM"][0] == pytest.approx((2 * m * n + c1) / (m * m + n * n + c1))


# The paper's Table 1 (MSE, PSNR) pairs, before and after refinement. Its PSNR for the stripes
# before refinement (15.45 for MSE 2011.45) repeats the row above; 10·log10(255²/2011.45) = 15.10.
TABLE1_MSE_PSNR = [(777.16, 19.23), (626.17, 20.16), (1852.22, 15.45), (1599.89, 16.09), (1607.32, 16.07),
                   (1980.77, 15.16), (1645.05, 15.97), (704.54, 19.65), (570.18, 20.57), (323.97, 23.03)]


@pytest.mark.parametrize("mse,psnr", TABLE1_MSE_PSNR)
def test_psnr_formula_reproduces_table_1(mse, psnr):
    assert metrics.psnr_from_mse(mse) == pytest.approx(psnr, abs=0.006)


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
