"""The full pipeline of Fig. 8: inpaint → blend → refine → blend.

1. Semantic inpainting (Eq. 2–5) gives x_g = G(z_g).
2. Poisson blending (Eq. 6) of x_g into the damaged image gives x_b (Yeh et al.'s result).
3. Refinement (Eq. 9) against x_b gives x_r = G(z_r).
4. Poisson blending of x_r gives the final image.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import config
from .blending import poisson_blend
from .errors import InputError
from .inpainting import LEARNING_RATE, check_images, inpaint_stage
from .losses import LAMBDA
from .masks import apply_mask, broadcast_masks, pattern
from .metrics import image_metrics, mean_metrics
from .refinement import DEFAULT_INIT, refine_stage


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
        from .plotting import show_grid

        count = len(self.y) if count is None else min(count, len(self.y))
        panels, titles = [], []
        for i in range(count):
            row = [apply_mask(self.y[i], self.known[i]), self.x_b[i], self.x[i]]
            row += [self.original[i]] if self.original is not None else []
            panels += row
            titles += ["masked", "inpainted [Yeh]", "refined", "original"][:len(row)] if i == 0 else [""] * len(row)
        return show_grid(panels, titles=titles, ncols=len(panels) // count, size=size)


def _check_steps(name: str, steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise InputError(f"{name} must be a whole number of steps >= 1, got {steps!r}")
    return int(steps)


def fig8(y, known, G, D, *, mu, lam: float = LAMBDA, inpaint_steps: int, refine_steps: int,
         refine_init: str = DEFAULT_INIT, blend_kind: str = "paper", seed: int = 0, z0=None, z_fresh=None,
         longer_inpainting: int = 0, original=None, progress: bool = True,
         precision: str | None = None, learning_rate: float = LEARNING_RATE) -> PipelineResult:
    """Fig. 8, the one place it is assembled: inpaint → blend → refine → blend.

    Every argument is checked before any optimisation starts. ``z0`` starts the inpainting (else a
    draw from ``seed``); ``z_fresh`` starts a fresh refinement (else a draw from ``seed + 1``).
    ``longer_inpainting`` > 0 runs the inpainting that many steps further in the same run (Table 2):
    the refinement still starts from the ``inpaint_steps`` result, and the blend of the longer
    run is kept as ``x_b_longer``. Only the known pixels of ``y`` are read. ``precision``
    (``"float32"`` or ``"mixed_bfloat16"``; None: as the models are built) is the arithmetic of G
    and D in both optimisations; z, Adam's state and the losses stay float32 (dcgan.with_precision).
    ``learning_rate``: Adam's step on z in both optimisations (§1.2: 0.003).
    """
    from .blending import KINDS
    from .dcgan import precision_of, with_precision
    from .refinement import INITS, _mu_array

    y = check_images(y, "y")
    known = broadcast_masks(known, len(y))
    mu = _mu_array(mu, len(y))
    inpaint_steps = _check_steps("inpaint_steps", inpaint_steps)
    refine_steps = _check_steps("refine_steps", refine_steps)
    if longer_inpainting:
        longer_inpainting = _check_steps("longer_inpainting", longer_inpainting)
    if refine_init not in INITS:
        raise InputError(f"refine_init must be one of {INITS}, got {refine_init!r}")
    if blend_kind not in KINDS:
        raise InputError(f"blend_kind must be one of {sorted(KINDS)}, got {blend_kind!r}")
    if not np.isfinite(lam) or lam < 0:
        raise InputError(f"λ must be a finite number ≥ 0, got {lam}")
    if isinstance(learning_rate, bool) or not np.isfinite(learning_rate) or learning_rate <= 0:
        raise InputError(f"learning_rate (Adam's step on z) must be a finite number > 0, got {learning_rate}")
    original = None if original is None else check_images(original, "original")
    if original is not None and original.shape != y.shape:
        raise InputError(f"original {original.shape} and y {y.shape} must have the same shape")
    if precision is not None:
        G, D = with_precision(G, D, precision)

    inpainted, z_g, x_g, x_b = inpaint_stage(y, known, G, D, lam=lam, steps=inpaint_steps, blend_kind=blend_kind,
                                             seed=seed, z0=z0, longer=longer_inpainting, progress=progress,
                                             learning_rate=learning_rate)
    refined, x = refine_stage(y, known, x_b, G, D, mu=mu, lam=lam, steps=refine_steps, init=refine_init, z_g=z_g,
                              z_fresh=z_fresh, seed=seed + 1, blend_kind=blend_kind, progress=progress,
                              learning_rate=learning_rate)
    return PipelineResult(
        y=y, known=known, x_g=x_g, x_b=x_b, x_r=refined.x_r, x=x, z_g=z_g, z_r=refined.z,
        inpaint_losses=inpainted.losses, refine_losses=refined.losses, mu=refined.mu, original=original,
        x_b_longer=poisson_blend(y, known, inpainted.x_g, kind=blend_kind) if longer_inpainting else None,
        settings=dict(lam=lam, inpaint_steps=inpaint_steps, refine_steps=refine_steps, refine_init=refine_init,
                      blend_kind=blend_kind, seed=seed, longer_inpainting=longer_inpainting,
                      precision=precision_of(G), learning_rate=float(learning_rate)))


def inpaint_and_refine(y, known, G=None, D=None, *, mu=None, which_pattern=None, lam: float = LAMBDA,
                       inpaint_steps: int | None = None, refine_steps: int | None = None,
                       refine_init: str = DEFAULT_INIT, blend_kind: str = "paper", seed: int = 0,
                       original=None, progress: bool = True, z0=None, z_fresh=None,
                       precision: str | None = None, learning_rate: float = LEARNING_RATE) -> PipelineResult:
    """Run Fig. 8 (:func:`fig8`) on a batch. µ comes from ``mu`` or else from the hole pattern's paper value.

    G and D default to the shipped weights. Steps default to the budget (1500 each in full mode).
    ``z0`` / ``z_fresh`` (N, 100): the starting z of inpainting / of a fresh refinement, instead
    of draws from ``seed`` and ``seed + 1`` (e.g. the same start for every image of a batch, so a
    photo's result does not depend on its place in the batch). ``precision``, ``learning_rate``: see
    :func:`fig8`.
    """
    if mu is None:
        if which_pattern is None:
            raise InputError("give µ (mu=) or the hole pattern (which_pattern=) to use the paper's µ")
        mu = pattern(which_pattern).mu
    budget = config.budget()
    inpaint_steps = budget.inpaint_steps if inpaint_steps is None else inpaint_steps
    refine_steps = budget.refine_steps if refine_steps is None else refine_steps
    if G is None or D is None:
        from .dcgan import load_pretrained

        G, D = load_pretrained()
    return fig8(y, known, G, D, mu=mu, lam=lam, inpaint_steps=inpaint_steps, refine_steps=refine_steps,
                refine_init=refine_init, blend_kind=blend_kind, seed=seed, z0=z0, z_fresh=z_fresh,
                original=original, progress=progress, precision=precision, learning_rate=learning_rate)
