"""Regenerate every figure in ``figures/`` from code: ``python -m inpaintkit figures``.

Committed figures show only the built-in sample faces, generated faces and plots of numbers, never
a CelebA image. Panels of CelebA faces (the Fig. 6 and Fig. 10 style cases, picked by the
measures of :mod:`inpaintkit.shortcomings`) are written to ``figures/celeba/``, which git ignores.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import blending, masks, plotting
from .data import celeba_root, load_celeba, sample_faces
from .storage import atomic_path


def _save(figure, path: Path) -> Path:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(figure)
    print(f"wrote {path}")
    return path


def make_all(out: str | Path = "figures", steps: int = 1500, celeba_count: int = 64, seed: int = 0) -> list[Path]:
    """Every figure; ``steps`` per optimisation stage (the paper's 1500 by default)."""
    from .dcgan import load_pretrained
    from .evaluation import load_results
    from .inpainting import semantic_inpaint
    from .pipeline import inpaint_and_refine
    from .shortcomings import pick_cases, shortcoming_measures

    out = Path(out)
    G, D = load_pretrained()
    faces = sample_faces()
    written = []

    six = [masks.make_mask(n, seed=seed) for n in masks.PATTERNS]
    written.append(_save(plotting.show_grid([masks.apply_mask(faces[0], k) for k in six], ncols=6, size=1.4,
                                            titles=[f"({n}) {masks.missing_fraction(k):.0%}"
                                                    for n, k in zip(masks.PATTERNS, six)]), out / "patterns.png"))

    numbers = list(masks.PATTERNS)
    batch = np.stack([faces[i % len(faces)] for i in range(len(numbers))])
    known = np.stack(six)
    mu = np.array([masks.pattern(n).mu for n in numbers], np.float32)
    result = inpaint_and_refine(batch, known, G, D, mu=mu, inpaint_steps=steps, refine_steps=steps, seed=seed,
                                original=batch)
    written.append(_save(result.plot(), out / "pipeline_six_patterns.png"))
    written.append(_save(plotting.plot_traces({"inpainting (Eq. 3)": result.inpaint_losses,
                                               "refinement (Eq. 9)": result.refine_losses}, log=True),
                         out / "loss_curves.png"))

    pasted = blending.paste(batch, known, result.x_g)
    rows = [[masks.apply_mask(b, k), p, x] for b, k, p, x in zip(batch[:3], known[:3], pasted[:3], result.x_b[:3])]
    written.append(_save(plotting.show_grid(np.concatenate(rows), ncols=3, size=1.6,
                                            titles=["masked", "pasted", "Poisson blended"]), out / "blending.png"))

    centre = masks.make_masks(5, len(faces), seed=seed)
    long_run = semantic_inpaint(faces, centre, G, D, steps=2 * steps, seed=seed, keep_z_at=(steps,))
    at_1500 = blending.poisson_blend(faces, centre, G(long_run.z_at[steps], training=False).numpy())
    at_3000 = blending.poisson_blend(faces, centre, long_run.x_g)
    refined = inpaint_and_refine(faces, centre, G, D, which_pattern=5, inpaint_steps=steps, refine_steps=steps,
                                 seed=seed)
    rows = [[masks.apply_mask(f, k), a, b, r, f] for f, k, a, b, r in zip(faces, centre, at_1500, at_3000, refined.x)]
    written.append(_save(plotting.show_grid(np.concatenate(rows), ncols=5, size=1.5,
                                            titles=["masked", f"inpaint {steps}", f"inpaint {2 * steps}",
                                                    f"{steps} + refine {steps}", "original"]),
                         out / "steps_vs_refinement.png"))

    evaluation = load_results()
    if evaluation["rows"]:
        for metric in ("MAE", "PSNR"):
            written.append(_save(plotting.plot_differences(evaluation["rows"], metric),
                                 out / f"table1_{metric.lower()}_change.png"))

    root = celeba_root()
    if root is not None:  # local only: CelebA pixels are never committed
        local = out / "celeba"
        (local / ".gitignore").parent.mkdir(parents=True, exist_ok=True)
        (local / ".gitignore").write_text("*\n")
        people = load_celeba(root, "validation", celeba_count, progress=False)
        left = masks.make_masks(4, len(people), seed=seed)
        run = inpaint_and_refine(people, left, G, D, which_pattern=4, inpaint_steps=steps, refine_steps=steps,
                                 seed=seed, original=people)
        before = shortcoming_measures(D, people, left, run.x_g, run.x_b)
        after = shortcoming_measures(D, people, left, run.x_r, run.x)
        for name, largest in (("fig6_refinement_fixes", True), ("fig10_refinement_fails", False)):
            picked = pick_cases(before, after, "mirror_color_gap", 4, largest_gain=largest)
            panels = [[masks.apply_mask(people[i], left[i]), run.x_b[i], run.x[i], people[i]] for i in picked]
            written.append(_save(plotting.show_grid(np.concatenate(panels), ncols=4, size=1.5,
                                                    titles=["masked", "inpainted [Yeh]", "refined", "original"]),
                                 local / f"{name}.png"))
    return written
