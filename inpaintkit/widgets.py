"""Widgets for the notebooks. Each wraps a plain, tested function (``render_pattern``,
``inpaint_demo``, ``refinement_demo``), and each notebook calls that function once with its
defaults before showing the widget, so a headless run exercises exactly the widget's code."""
from __future__ import annotations

import numpy as np

from . import masks
from .metrics import image_metrics


# ----------------------------------------------------------------------------- hole patterns (notebook 00)
def render_pattern(image, pattern: int = 5, seed: int = 0):
    """Show a face with one hole pattern of §3.3: (figure, known mask). The missing share is in the title.

    Panels: the face, the damaged face y (holes grey) and the mask as in Fig. 3 (white = known).
    """
    from .plotting import show_grid

    known = masks.make_mask(pattern, seed=seed)
    share = masks.missing_fraction(known)
    figure = show_grid([image, masks.apply_mask(image, known), known.astype(float)], ncols=3, size=2.0,
                       titles=["face", f"({pattern}) {share:.1%} missing", "known (white)"])
    return figure, known


def describe_pattern(pattern: int, known) -> str:
    """One line for a pattern: its name, the missing share of this mask and the paper's µ (§3.3)."""
    p = masks.pattern(pattern)
    return f"({p.number}) {p.name}: missing {masks.missing_fraction(known):.1%} · paper's µ {p.mu}"


def _pattern_dropdown(value: int = 5):
    import ipywidgets as w

    return w.Dropdown(options=[(f"({n}) {p.name}", n) for n, p in masks.PATTERNS.items()], value=value,
                      description="pattern")


def pattern_picker(image, on_change=None, *, pattern: int = 5, seed: int = 0):
    """A dropdown of the six patterns and a seed slider, redrawing :func:`render_pattern`.

    Prints :func:`describe_pattern` under the figure. ``on_change(pattern, seed, known)`` is
    called after every redraw (and once when built), e.g. to hand the mask to a later cell.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    choice, slider, out = _pattern_dropdown(pattern), w.IntSlider(seed, 0, 99, description="seed"), w.Output()

    def redraw(_=None):
        with out:
            out.clear_output(wait=True)
            figure, known = render_pattern(image, choice.value, slider.value)
            display(figure)
            plt.close(figure)
            print(describe_pattern(choice.value, known))
        if on_change is not None:
            on_change(choice.value, slider.value, known)

    choice.observe(redraw, names="value")
    slider.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([choice, slider]), out])


# ----------------------------------------------------------------------------- inpainting (notebook 02)
def inpaint_demo(face, pattern: int = 5, seed: int = 0, steps: int | None = None, *, G, D,
                 snapshot_every: int | None = None, progress: bool = True) -> dict:
    """Semantic inpainting (Eq. 2–5) of one face, blended (Eq. 6): figure, result and metrics."""
    from .blending import poisson_blend
    from .inpainting import semantic_inpaint
    from .plotting import show_grid

    face = np.asarray(face, np.float32)
    known = masks.make_mask(pattern, seed=seed)
    result = semantic_inpaint(face, known, G, D, steps=steps, seed=seed, snapshot_every=snapshot_every,
                              progress=progress)
    blended = poisson_blend(face, known, result.x_g)
    figure = show_grid([masks.apply_mask(face, known), result.x_g[0], blended[0], face], ncols=4, size=1.8,
                       titles=["masked", "G(z)", "blended", "original"])
    values = {k: float(v[0]) for k, v in image_metrics(blended, face).items()}
    return {"figure": figure, "result": result, "blended": blended, "metrics": values, "known": known}


def inpainting_explorer(faces, G, D):
    """Pick a face, a hole pattern and a seed; a button runs ``inpaint_demo`` with a progress bar."""
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    face = w.IntSlider(0, 0, len(faces) - 1, description="face")
    pattern, seed = _pattern_dropdown(), w.IntSlider(0, 0, 99, description="seed")
    run, out = w.Button(description="inpaint", button_style="primary"), w.Output()

    def on_click(_):
        with out:
            out.clear_output(wait=True)
            demo = inpaint_demo(faces[face.value], pattern.value, seed.value, G=G, D=D)
            display(demo["figure"])
            plt.close(demo["figure"])
            print("  ".join(f"{k} {v:.2f}" for k, v in demo["metrics"].items()))

    run.on_click(on_click)
    return w.VBox([w.HBox([face, pattern, seed]), run, out])


# ----------------------------------------------------------------------------- refinement (notebook 05)
def refinement_demo(face, pattern: int = 5, seed: int = 0, mu: float | None = None, lam: float = 0.003,
                    steps: int | None = None, *, G, D, progress: bool = True) -> dict:
    """Run the pipeline (Fig. 8) on one face with one hole pattern; return the figure, the
    result and a before/after table of the four metrics. ``mu=None`` uses the paper's µ."""
    import numpy as np

    from . import masks
    from .pipeline import inpaint_and_refine

    face = np.asarray(face, dtype=np.float32)[None] if np.ndim(face) == 3 else np.asarray(face, np.float32)
    known = masks.make_mask(pattern, seed=seed)[None]
    mu = masks.pattern(pattern).mu if mu is None else mu
    result = inpaint_and_refine(face, known, G, D, mu=mu, lam=lam, inpaint_steps=steps, refine_steps=steps,
                                seed=seed, original=face, progress=progress)
    return {"figure": result.plot(), "result": result, "table": result.summary(), "mu": mu}


def refinement_explorer(faces, G, D):
    """Pick a face, a hole pattern, a seed, µ, λ and the steps; a button runs the pipeline with a
    progress bar and shows the four metrics before and after refinement (wraps refinement_demo)."""
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    from . import config, masks

    face = w.IntSlider(0, 0, len(faces) - 1, description="face")
    pattern = w.Dropdown(options=[(p.name, n) for n, p in masks.PATTERNS.items()], value=5, description="pattern")
    seed = w.IntSlider(0, 0, 99, description="seed")
    mu = w.FloatSlider(masks.pattern(5).mu, min=0.0, max=2.0, step=0.01, description="µ")
    lam = w.FloatLogSlider(0.003, base=10, min=-5, max=0, description="λ")
    steps = w.IntSlider(config.budget().refine_steps, 10, 3000, step=10, description="steps")
    run = w.Button(description="inpaint + refine", button_style="primary")
    out = w.Output()
    pattern.observe(lambda change: setattr(mu, "value", masks.pattern(change["new"]).mu), names="value")

    def on_click(_):
        with out:
            out.clear_output(wait=True)
            demo = refinement_demo(faces[face.value], pattern.value, seed.value, mu.value, lam.value,
                                   steps.value, G=G, D=D)
            print(demo["table"])
            display(demo["figure"])
            plt.close(demo["figure"])

    run.on_click(on_click)
    return w.VBox([w.HBox([face, pattern, seed]), w.HBox([mu, lam, steps]), run, out])
