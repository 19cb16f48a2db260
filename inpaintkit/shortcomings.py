"""The shortcomings of semantic inpainting without refinement (§1.4), as numbers.

§1.4 names two deficits. (a) The content loss (Eq. 4) sees only a thin band of known pixels
around the hole, so G(z) may agree with y there and nowhere else: a female face may get a
moustache, eyes or skin may differ in colour across the hole. (b) The perceptual loss (Eq. 5)
scores G(z), not the blended result that the user sees; when the two differ, a good score says
little. Each function below measures one of these, per image, so that failure cases can be
picked by numbers rather than by eye.
"""
from __future__ import annotations

import numpy as np

from .metrics import to_255
from .dcgan import probability_real
from .losses import content_weights

__all__ = ["MEASURES", "band_agreement", "band_around_hole", "before_after", "consensus_error",
           "discriminator_view", "edge_color_gap", "measures_table", "mirror_color_gap", "pick_cases",
           "shortcoming_measures"]


def consensus_error(x, y, known) -> np.ndarray:
    """Mean |x − y| (0–255 scale) over the known pixels: how far G(z) is from the damaged image.

    This is what the global consensus (Eq. 7) drives down; inpainting alone leaves it large
    away from the hole.
    """
    x, y = to_255(x), to_255(y)
    known = np.broadcast_to(np.asarray(known, dtype=bool), x.shape[:3])
    diff = np.abs(x - y).mean(axis=-1)
    return np.array([d[k].mean() for d, k in zip(diff, known)])


def discriminator_view(D, synthetic, blended) -> dict[str, np.ndarray]:
    """D's probability of "real" for G(z) and for the blended result, and their gap.

    The perceptual loss judges G(z); the user sees the blend. A large |gap| means the score
    the optimiser minimised says little about the result (§1.4, second deficit).
    """
    p_synthetic = probability_real(D, np.asarray(synthetic, np.float32))
    p_blended = probability_real(D, np.asarray(blended, np.float32))
    return {"p_synthetic": p_synthetic, "p_blended": p_blended, "gap": np.abs(p_synthetic - p_blended)}


def band_around_hole(known, width: int = 4) -> np.ndarray:
    """Known pixels within ``width`` pixels (chessboard distance) of a hole, per mask."""
    from scipy.ndimage import binary_dilation

    known = np.asarray(known, dtype=bool)
    structure = np.ones((2 * width + 1, 2 * width + 1), dtype=bool)
    masks = known if known.ndim == 3 else known[None]
    band = np.stack([binary_dilation(~k, structure) & k for k in masks])
    return band if known.ndim == 3 else band[0]


def edge_color_gap(x, known, width: int = 4) -> np.ndarray:
    """Skin-colour agreement across the hole's edge: the distance (0–255, RGB) between the mean
    colour of the filled pixels next to the edge and that of the known pixels just outside it."""
    x = to_255(x)
    known = np.broadcast_to(np.asarray(known, dtype=bool), x.shape[:3])
    outside = band_around_hole(known, width)
    inside = band_around_hole(~known, width)  # missing pixels within `width` of a known one
    return np.array([np.linalg.norm(img[i].mean(axis=0) - img[o].mean(axis=0))
                     for img, i, o in zip(x, inside, outside)])


def mirror_color_gap(x, known) -> np.ndarray:
    """Symmetry across the face's vertical axis: mean |x − mirror(x)| (0–255) over filled pixels
    whose mirror pixel is known. Large when, say, one eye or one cheek gets another colour.
    NaN where no filled pixel has a known mirror (e.g. a centred square)."""
    x = to_255(x)
    known = np.broadcast_to(np.asarray(known, dtype=bool), x.shape[:3])
    mirrored_known = known[:, :, ::-1]
    select = ~known & mirrored_known
    diff = np.abs(x - x[:, :, ::-1]).mean(axis=-1)
    return np.array([d[s].mean() if s.any() else np.nan for d, s in zip(diff, select)])


def shortcoming_measures(D, original, known, synthetic, blended) -> dict[str, np.ndarray]:
    """All §1.4 measures for one stage: consensus, D's view of G(z) vs the blend, colour gaps."""
    view = discriminator_view(D, synthetic, blended)
    return {
        "consensus": consensus_error(synthetic, original, known),
        "p_synthetic": view["p_synthetic"],
        "p_blended": view["p_blended"],
        "d_gap": view["gap"],
        "edge_color_gap": edge_color_gap(blended, known),
        "mirror_color_gap": mirror_color_gap(blended, known),
    }


# What each measure of :func:`shortcoming_measures` is, for tables.
MEASURES = {
    "consensus": "consensus: mean |G(z) − y| on known pixels",
    "p_synthetic": "D(G(z))",
    "p_blended": "D(blend)",
    "d_gap": "|D(G(z)) − D(blend)|",
    "edge_color_gap": "colour gap across the hole's edge",
    "mirror_color_gap": "colour gap to the mirrored known side",
}


def before_after(before: dict, after: dict) -> dict[str, str]:
    """"mean before → mean after" for every measure, over the images where both are defined
    ("–" where none is, e.g. the mirror gap of a centred square). 0–255 measures get one
    decimal, D's probabilities three."""
    cells = {}
    for key in MEASURES:
        b = np.asarray(before.get(key, np.nan), float).ravel()
        a = np.asarray(after.get(key, np.nan), float).ravel()
        ok = np.isfinite(b) & np.isfinite(a)
        digits = 3 if key.startswith(("p_", "d_")) else 1
        cells[key] = f"{b[ok].mean():.{digits}f} → {a[ok].mean():.{digits}f}" if ok.any() else "–"
    return cells


def measures_table(before: dict, after: dict) -> str:
    """The §1.4 measures before → after refinement as a short text table (notebook 05)."""
    return "\n".join(f"{MEASURES[key]:40} {cell}" for key, cell in before_after(before, after).items())


def pick_cases(before: dict[str, np.ndarray], after: dict[str, np.ndarray], key: str, count: int = 4,
               largest_gain: bool = True) -> np.ndarray:
    """Indices of the images where ``key`` fell most (refinement fixed them, Fig. 6) or rose most
    (refinement failed, Fig. 10). NaNs are never picked."""
    gain = np.asarray(before[key], float) - np.asarray(after[key], float)
    gain = np.where(np.isnan(gain), -np.inf if largest_gain else np.inf, gain)
    order = np.argsort(-gain if largest_gain else gain, kind="stable")
    return order[:count]


def band_agreement(x, y, known, window: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Mean |x − y| (0–255) on the known pixels the content loss sees (Eq. 4's set S, weight > 0)
    and on the known pixels it ignores, per image. Deficit 1 of §1.4: the first is small, the
    second is not, because nothing pulls G(z) towards y away from the hole."""
    x, y = to_255(x), to_255(y)
    known = np.broadcast_to(np.asarray(known, dtype=bool), x.shape[:3])
    seen = np.asarray(content_weights(known, n=window)) > 0
    ignored = known & ~seen
    diff = np.abs(x - y).mean(axis=-1)
    near = np.array([d[s].mean() for d, s in zip(diff, seen)])
    far = np.array([d[i].mean() if i.any() else np.nan for d, i in zip(diff, ignored)])
    return near, far
