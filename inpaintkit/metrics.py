"""The four quality measures of §3.4: MAE, MSE, PSNR on the 0–255 scale and mean SSIM.

Whole-image values are what the paper reports (its numbers double from the 25 % to the 50 %
patterns, as whole-image errors must). The same measures over the missing region only are given
too. SSIM follows Wang et al.: Gaussian window σ = 1.5, data range 255, averaged over the image
and the colour channels (scikit-image's ``structural_similarity``).
"""
from __future__ import annotations

import numpy as np

from .errors import InputError, check_range, image_floats

__all__ = ["METRICS", "image_metrics", "mean_metrics", "psnr_from_mse", "to_255"]

METRICS = ("MAE", "MSE", "PSNR", "MSSIM")
# Gaussian σ = 1.5 gives an 11×11 window; like Wang et al.'s code, SSIM is averaged over the
# windows that lie inside the image, i.e. away from a 5-pixel border.
_SSIM_BORDER = 5


def to_255(images) -> np.ndarray:
    """[−1, 1] → [0, 255] as float64 (no rounding: metrics see what the model produced).
    Images on another scale are refused (:func:`~inpaintkit.errors.check_range`), not clipped."""
    images = _numbers(images, "images")
    check_range(images, "images")
    return np.clip((images + 1.0) * 127.5, 0.0, 255.0)


def psnr_from_mse(mse) -> np.ndarray:
    """PSNR = 10·log₁₀(255² / MSE); infinite for MSE = 0. A negative or NaN MSE is refused."""
    mse = np.asarray(mse, dtype=np.float64)
    if np.any(np.isnan(mse)) or np.any(mse < 0):
        bad = mse if mse.ndim == 0 else mse[np.isnan(mse) | (mse < 0)][:3]
        raise InputError(f"an MSE must be a number ≥ 0, got {bad}")
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(255.0 ** 2 / mse)


def _numbers(images, name: str) -> np.ndarray:
    """float64 from any numeric image array (uint8 converted from 0–255 with a warning)."""
    array = image_floats(images, name)
    if array.dtype.kind not in "fiu":
        raise InputError(f"{name} must hold numbers, got dtype {array.dtype}")
    return np.asarray(array, dtype=np.float64)


def _as_batch(images, name: str) -> np.ndarray:
    array = _numbers(images, name)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[-1] != 3:
        raise InputError(f"{name} must have shape (N, H, W, 3) or (H, W, 3), got {np.shape(images)}")
    return array


def image_metrics(result, original, known=None, *, region: str = "image") -> dict[str, np.ndarray]:
    """Per-image MAE, MSE, PSNR, MSSIM between ``result`` and ``original``, both in [−1, 1]
    (anything else, e.g. 0–255 images or NaN, is refused: it would be clipped and scored wrongly).

    ``region="image"`` uses every pixel (the paper's Table 1); ``region="missing"`` uses only the
    pixels where ``known`` is False (SSIM: the mean of the SSIM map over those pixels, away from
    the 5-pixel border unless the hole lies wholly inside it); every mask needs a missing pixel.
    """
    from skimage.metrics import structural_similarity

    x, y = _as_batch(result, "result"), _as_batch(original, "original")
    check_range(x, "result")
    check_range(y, "original")
    if x.shape != y.shape:
        raise InputError(f"result {x.shape} and original {y.shape} differ in shape")
    x, y = (np.clip((a + 1.0) * 127.5, 0.0, 255.0) for a in (x, y))  # to_255 of checked arrays
    if region == "image":
        weight = np.ones(x.shape[:3], dtype=bool)
    elif region == "missing":
        if known is None:
            raise InputError("region='missing' needs the known mask")
        mask = np.asarray(known, dtype=bool)
        if mask.shape not in (x.shape[1:3], x.shape[:3]):
            raise InputError(f"known has shape {mask.shape}: it must be one {x.shape[1]}×{x.shape[2]} mask "
                             f"or one per image, {x.shape[:3]}")
        weight = ~np.broadcast_to(mask, x.shape[:3])
        empty = ~weight.reshape(len(x), -1).any(axis=1)
        if empty.any():
            raise InputError(f"region='missing': mask of image {int(np.argmax(empty))} has no missing pixel")
    else:
        raise InputError(f"region must be 'image' or 'missing', got {region!r}")
    out = {name: np.empty(len(x)) for name in METRICS}
    for i in range(len(x)):
        select = weight[i]
        diff = (x[i] - y[i])[select]
        out["MAE"][i] = np.abs(diff).mean()
        out["MSE"][i] = (diff ** 2).mean()
        mssim, ssim_map = structural_similarity(x[i], y[i], data_range=255.0, channel_axis=-1,
                                                gaussian_weights=True, sigma=1.5,
                                                use_sample_covariance=False, full=True)
        if region == "image":
            out["MSSIM"][i] = mssim  # Wang et al.: the mean over windows inside the image
        else:
            inside = np.zeros_like(select)
            inside[_SSIM_BORDER:-_SSIM_BORDER, _SSIM_BORDER:-_SSIM_BORDER] = True
            # Away from the border as above; a hole that lies wholly in the border uses its own pixels.
            where = select & inside if (select & inside).any() else select
            out["MSSIM"][i] = ssim_map[where].mean()
    out["PSNR"] = psnr_from_mse(out["MSE"])
    return out


def mean_metrics(per_image: dict[str, np.ndarray]) -> dict[str, float]:
    """Averages over images as the paper's tables report them.

    MAE, MSE and MSSIM are means over images; PSNR is 10·log₁₀(255²/mean MSE), which is how the
    paper's Table 1 is consistent (e.g. MSE 777.16 → PSNR 19.23). ``PSNR_per_image`` is the mean of
    per-image PSNR, for readers who expect that instead.
    """
    missing = [name for name in METRICS if name not in per_image]
    if missing:
        raise InputError(f"per_image lacks {', '.join(missing)} (give image_metrics' result)")
    if any(np.size(per_image[name]) == 0 for name in METRICS):
        raise InputError("per_image holds no image: there is nothing to average")
    out = {name: float(np.mean(per_image[name])) for name in ("MAE", "MSE", "MSSIM")}
    out["PSNR"] = float(psnr_from_mse(out["MSE"]))
    out["PSNR_per_image"] = float(np.mean(per_image["PSNR"]))
    return {name: out[name] for name in ("MAE", "MSE", "PSNR", "MSSIM", "PSNR_per_image")}
