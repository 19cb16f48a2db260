"""The full pipeline of Fig. 8: inpaint → blend → refine → blend, in one function, :func:`fig8`.

1. Semantic inpainting (Eq. 2–5) gives x_g = G(z_g).
2. Poisson blending (Eq. 6) of x_g into the damaged image gives x_b (Yeh et al.'s result).
3. Refinement (Eq. 9) against x_b gives x_r = G(z_r).
4. Poisson blending of x_r gives the final image.

The demo, the evaluation, the figures, the widgets and the own-photo command all call :func:`fig8`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .blending import KINDS, blend_checked
from .dcgan import precision_of, with_precision
from .errors import InputError, check_count
from .inpainting import LEARNING_RATE, _semantic_inpaint, check_images, check_seed, check_z, step_sizes
from .losses import LAMBDA
from .masks import apply_mask, broadcast_masks
from .metrics import image_metrics, mean_metrics
from .plotting import show_grid
from .refinement import DEFAULT_INIT, REFINE_INITS, _refine, check_mu

__all__ = ["PipelineResult", "fig8"]


@dataclass
class PipelineResult:
    """Every intermediate of Fig. 8, batched. Images are (N, 64, 64, 3) in [−1, 1]."""

    y: np.ndarray           # damaged input (missing pixels are whatever the caller passed)
    known: np.ndarray       # (N, 64, 64) bool
    x_g: np.ndarray         # G(z_g), inpainting's synthetic image
    x_b: np.ndarray         # blend of x_g: Yeh et al.'s result ("before refinement")
    x_r: np.ndarray         # G(z_r), refinement's synthetic image
    x: np.ndarray           # blend of x_r: the final result ("after refinement")
    z_g: np.ndarray
    z_r: np.ndarray
    inpaint_losses: np.ndarray   # (steps, N)
    refine_losses: np.ndarray    # (steps, N)
    mu: np.ndarray
    original: np.ndarray | None = None
    x_b_longer: np.ndarray | None = None  # blend of a longer inpainting run (fig8's longer_inpainting)
    settings: dict = field(default_factory=dict)

    def metrics(self, original=None, region: str = "image") -> dict[str, dict[str, np.ndarray]]:
        """Per-image MAE, MSE, PSNR, MSSIM before (x_b) and after (x) refinement."""
        original = self.original if original is None else original
        if original is None:
            raise InputError("metrics need the original images: pass original=")
        return {"before": image_metrics(self.x_b, original, self.known, region=region),
                "after": image_metrics(self.x, original, self.known, region=region)}

    def summary(self, original=None) -> str:
        """Mean metrics before and after refinement as a small text table."""
        results = self.metrics(original)
        before, after = mean_metrics(results["before"]), mean_metrics(results["after"])
        lines = [f"{'':8}{'MAE':>9}{'MSE':>10}{'PSNR':>8}{'MSSIM':>8}"]
        for name, values in (("before", before), ("after", after)):
            lines.append(f"{name:8}{values['MAE']:9.2f}{values['MSE']:10.2f}{values['PSNR']:8.2f}"
                         f"{values['MSSIM']:8.4f}")
        return "\n".join(lines)

    def plot(self, count: int | None = None, size: float = 1.3):
        """Rows of: masked | inpainted [Yeh] | refined | original, as the paper's Fig. 1 and 9."""
        count = len(self.y) if count is None else min(count, len(self.y))
        panels, titles = [], []
        for i in range(count):
            row = [apply_mask(self.y[i], self.known[i]), self.x_b[i], self.x[i]]
            row += [self.original[i]] if self.original is not None else []
            panels += row
            titles += ["masked", "inpainted [Yeh]", "refined", "original"][:len(row)] if i == 0 else [""] * len(row)
        return show_grid(panels, titles=titles, ncols=len(panels) // count, size=size)


def fig8(y, known, G, D, *, mu, inpaint_steps: int, refine_steps: int, learning_rate: float = LEARNING_RATE,
         lam: float = LAMBDA, refine_init: str = DEFAULT_INIT, blend_kind: str = "paper", seed: int = 0, z0=None,
         z_fresh=None, longer_inpainting: int = 0, original=None, progress: bool = True,
         precision: str | None = None) -> PipelineResult:
    """Fig. 8: inpaint → blend → refine → blend, on a batch.

    Parameters
    ----------
    y : array (N, 64, 64, 3) or (64, 64, 3) in [−1, 1]
        The damaged images; only their known pixels are read.
    known : bool array (64, 64) or (N, 64, 64), True on clean pixels.
    G, D : the generator and discriminator (:mod:`inpaintkit.weights_io` loads the shipped ones).
    mu : a number or one per image, Eq. 8's weight (the paper's by pattern: ``refinement.paper_mu``).
    inpaint_steps, refine_steps : int
        Adam steps of each stage (the paper: 1500 + 1500; the budgets of :mod:`inpaintkit.config`
        choose them at the front).
    learning_rate : float
        Adam's step on z in both stages (the paper: 0.003).
    lam : float, λ of Eq. 3 and Eq. 9 (the paper: 0.003).
    refine_init : {"fresh", "inpainting"}, where refinement's z starts (§2 does not say).
    blend_kind : {"paper", "laplacian"}, Eq. 6's operator.
    seed, z0, z_fresh : ``z0`` starts the inpainting (else a draw from ``seed``); ``z_fresh``
        starts a fresh refinement (else a draw from ``seed + 1``).
    longer_inpainting : int
        > 0 runs the inpainting that many steps further in the same run (Table 2); refinement
        still starts from the ``inpaint_steps`` result, and the longer run's blend is ``x_b_longer``.
    original : the undamaged images, for :meth:`PipelineResult.metrics` (optional).
    precision : "float32" or "mixed_bfloat16" (None: as the models are built), G and D's
        arithmetic in both optimisations; z, Adam's state and the losses stay float32.

    Returns
    -------
    PipelineResult
        Every intermediate: x_g, x_b (before refinement), x_r, x (after), z_g, z_r, loss traces.

    References
    ----------
    The paper's Fig. 8; Eq. 2–5 (inpainting), Eq. 6 (blending), Eq. 7–9 (refinement).
    """
    # Every argument is checked here, once, before any optimisation starts.
    y = check_images(y, "y")
    known = broadcast_masks(known, len(y))
    mu = check_mu(mu, len(y))
    inpaint_steps, refine_steps = check_count("inpaint_steps", inpaint_steps), check_count("refine_steps", refine_steps)
    longer = check_count("longer_inpainting", longer_inpainting) if longer_inpainting else 0
    if refine_init not in REFINE_INITS:
        raise InputError(f"refine_init must be one of {REFINE_INITS}, got {refine_init!r}")
    if blend_kind not in KINDS:
        raise InputError(f"blend_kind must be one of {sorted(KINDS)}, got {blend_kind!r}")
    if not isinstance(lam, (int, float, np.number)) or not np.isfinite(lam) or lam < 0:
        raise InputError(f"λ must be a finite number ≥ 0, got {lam!r}")
    step_sizes(learning_rate, max(inpaint_steps + longer, refine_steps))  # a bad rate or schedule, named now
    check_seed(seed)
    z0, z_fresh = check_z(z0, len(y), "z0"), check_z(z_fresh, len(y), "z_fresh")
    original = None if original is None else check_images(original, "original")
    if original is not None and original.shape != y.shape:
        raise InputError(f"original {original.shape} and y {y.shape} must have the same shape")
    if precision is not None:
        G, D = with_precision(G, D, precision)

    # 1. inpainting (Eq. 2–5); with `longer`, z_g is the one after `inpaint_steps` of a longer run.
    inpainted = _semantic_inpaint(y, known, G, D, steps=inpaint_steps + longer, learning_rate=learning_rate,
                                  lam=lam, seed=seed, z0=z0, keep_z_at=(inpaint_steps,) if longer else (),
                                  progress=progress)
    z_g = inpainted.z_at[inpaint_steps] if longer else inpainted.z
    x_g = G(z_g, training=False).numpy() if longer else inpainted.x_g
    # 2. blending (Eq. 6): Yeh et al.'s result, x_b.
    x_b = blend_checked(y, known, x_g, kind=blend_kind)
    # 3. refinement (Eq. 9) against x_b, from a fresh z or the inpainting one.
    refined = _refine(x_b, known, G, D, mu=mu, steps=refine_steps, learning_rate=learning_rate, lam=lam,
                      init=refine_init, z_init=z_g, z_fresh=z_fresh, seed=seed + 1, progress=progress)
    # 4. blending again: the final image.
    x = blend_checked(y, known, refined.x_r, kind=blend_kind)
    return PipelineResult(
        y=y, known=known, x_g=x_g, x_b=x_b, x_r=refined.x_r, x=x, z_g=z_g, z_r=refined.z,
        inpaint_losses=inpainted.losses, refine_losses=refined.losses, mu=refined.mu, original=original,
        x_b_longer=blend_checked(y, known, inpainted.x_g, kind=blend_kind) if longer else None,
        settings=dict(lam=lam, inpaint_steps=inpaint_steps, refine_steps=refine_steps, learning_rate=learning_rate,
                      refine_init=refine_init, blend_kind=blend_kind, seed=seed, longer_inpainting=longer,
                      precision=precision_of(G)))
