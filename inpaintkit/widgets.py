"""Widgets for the notebooks. Each wraps a plain, tested function (``render_pattern``,
``inpaint_demo``, ``refinement_demo``), and each notebook calls that function once with its
defaults before showing the widget, so a headless run exercises exactly the widget's code.

The plain functions close their figures: a notebook cell shows a figure only inside its widget,
whose controls are set to the same parameters (``initial=``), never a stale one beside it."""
from __future__ import annotations

import base64
import html
import io
import re
import time

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle
from IPython.display import display

from . import config, data, masks
from .blending import poisson_blend
from .data import to_uint8
from .errors import InputError
from .faces import default_mu, frame_photo, inpaint_own_faces, panel_figure
from .latent import sample_z
from .inpainting import semantic_inpaint
from .metrics import image_metrics
from .pipeline import fig8
from .plotting import show_grid
from .training import train
from .weights_io import load_pretrained

__all__ = ["ADAM_STEPS", "ALL_HOLE", "DOWNLOADS", "LAMBDAS", "MU_RULE", "NO_FACE", "NO_HOLE", "QUEUED_CLICK_SECONDS",
           "RUN_LABEL", "describe_pattern", "download_links", "download_name", "framed_from_upload", "hole_mu",
           "inpaint_demo", "inpainting_explorer", "mask_preview", "metrics_line", "mu_note", "own_face_demo",
           "own_face_heading", "own_face_studio", "pattern_picker", "png_bytes", "refinement_demo",
           "refinement_explorer", "render_pattern", "show_framed_photo", "studio_mu_note", "watch_training"]


# ----------------------------------------------------------------------------- hole patterns (notebook 00)
def render_pattern(image, pattern: int = 5, seed: int = 0):
    """Show a face with one hole pattern of §3.3: (figure, known mask). The missing share is in the title.

    Panels: the face, the damaged face y (holes grey) and the mask as in Fig. 3 (white = known).
    """
    known = masks.make_mask(pattern, seed=seed)
    share = masks.missing_fraction(known)
    figure = show_grid([image, masks.apply_mask(image, known), known.astype(float)], ncols=3, size=2.0,
                       titles=["face", f"({pattern}) {share:.1%} missing", "known (white)"])
    frame = figure.axes[2]  # a frame, so the white known pixels do not melt into the page
    frame.set_axis_on()
    frame.set_xticks([])
    frame.set_yticks([])
    for spine in frame.spines.values():
        spine.set_edgecolor("0.4")
    _close(figure)
    return figure, known


def _close(figure) -> None:
    """Detach a figure from pyplot: the inline backend then does not draw it at the cell's end
    (it is shown where a widget displays it)."""
    plt.close(figure)


def describe_pattern(pattern: int, known) -> str:
    """One line for a pattern: its name and the missing share of this mask (§3.3). (µ, the
    refinement's confidence per pattern, waits for notebook 05, where it is used.)"""
    p = masks.pattern(pattern)
    return f"({p.number}) {p.name}: missing {masks.missing_fraction(known):.1%}"


def _pattern_dropdown(value: int = 5):
    """The six patterns, labelled with their numbers (n) as everywhere in the kit."""
    return w.Dropdown(options=[(f"({n}) {p.name}", n) for n, p in masks.PATTERNS.items()], value=value,
                      description="pattern")


def _show(out, figure, text: str | None = None, *, before: str | None = None) -> None:
    """Replace what ``out`` shows by (optional text,) a figure and a line of text."""
    with out:
        out.clear_output(wait=True)
        if before:
            print(before)
        display(figure)
        if text:
            print(text)


def pattern_picker(image, on_change=None, *, pattern: int = 5, seed: int = 0):
    """A dropdown of the six patterns and a seed slider, redrawing :func:`render_pattern`.

    Prints :func:`describe_pattern` under the figure. ``on_change(pattern, seed, known)`` is
    called after every redraw (and once when built), e.g. to hand the mask to a later cell.
    """
    choice, slider, out = _pattern_dropdown(pattern), w.IntSlider(seed, 0, 99, description="seed"), w.Output()

    def redraw(_=None):
        figure, known = render_pattern(image, choice.value, slider.value)
        _show(out, figure, describe_pattern(choice.value, known))
        if on_change is not None:
            on_change(choice.value, slider.value, known)

    choice.observe(redraw, names="value")
    slider.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([choice, slider]), out])


# ----------------------------------------------------------------------------- inpainting (notebook 02)
def inpaint_demo(face, pattern: int = 5, seed: int = 0, steps: int | None = None, *, G, D,
                 snapshot_every: int | None = None, progress: bool = True) -> dict:
    """Semantic inpainting (Eq. 2–5) of one face, blended (Eq. 6): figure, result and metrics.
    ``steps`` and Adam's step come from the budget (:func:`inpaintkit.config.budget`) unless given."""
    budget = config.budget()
    steps = budget.inpaint_steps if steps is None else steps
    face = np.asarray(face, np.float32)
    known = masks.make_mask(pattern, seed=seed)
    result = semantic_inpaint(face, known, G, D, steps=steps, learning_rate=budget.learning_rate, seed=seed,
                              snapshot_every=snapshot_every, progress=progress)
    blended = poisson_blend(face, known, result.x_g)
    figure = show_grid([masks.apply_mask(face, known), result.x_g[0], blended[0], face], ncols=4, size=1.8,
                       titles=["masked", "G(z)", "blended", "original"])
    values = {k: float(v[0]) for k, v in image_metrics(blended, face).items()}
    _close(figure)
    return {"pattern": pattern, "seed": seed, "figure": figure, "result": result, "blended": blended, "metrics": values, "known": known}


def metrics_line(metrics: dict) -> str:
    """'MAE 4.21  MSE 101.30  PSNR 28.07  MSSIM 0.93' for the widgets' output."""
    return "  ".join(f"{k} {v:.2f}" for k, v in metrics.items())


def _run_button(description: str):
    return w.Button(description=description, button_style="primary", layout=w.Layout(width="auto"))


def _running(button, out, work) -> None:
    """Disable ``button`` while ``work()`` runs, so a second click cannot queue a second run."""
    button.disabled = True
    try:
        work()
    finally:
        button.disabled = False


def inpainting_explorer(faces, G, D, *, face: int = 0, pattern: int = 5, seed: int = 0, initial=None):
    """Pick a face, a hole pattern and a seed; a button runs ``inpaint_demo`` with a progress bar.

    ``initial``: a result of :func:`inpaint_demo` to show before the first click; the controls then
    start at its face, pattern and seed (pass ``face=`` for its face index).
    """
    if initial is not None:
        pattern, seed = initial["pattern"], initial["seed"]
    face_slider = w.IntSlider(face, 0, len(faces) - 1, description="face")
    pattern_menu, seed_slider = _pattern_dropdown(pattern), w.IntSlider(seed, 0, 99, description="seed")
    run, out = _run_button("inpaint"), w.Output()
    if initial is not None:
        _show(out, initial["figure"], metrics_line(initial["metrics"]))

    def on_click(_):
        def work():
            with out:
                out.clear_output(wait=True)
                demo = inpaint_demo(faces[face_slider.value], pattern_menu.value, seed_slider.value, G=G, D=D)
            _show(out, demo["figure"], metrics_line(demo["metrics"]))
        _running(run, out, work)

    run.on_click(on_click)
    return w.VBox([w.HBox([face_slider, pattern_menu, seed_slider]), run, out])


# ----------------------------------------------------------------------------- refinement (notebook 05)
def refinement_demo(face, pattern: int = 5, seed: int = 0, mu: float | None = None, lam: float = 0.003,
                    steps: int | None = None, *, G, D, progress: bool = True) -> dict:
    """Run the pipeline (Fig. 8) on one face with one hole pattern; return the figure, the
    result and a before/after table of the four metrics. ``mu=None`` uses the paper's µ; ``steps``
    (per stage) and Adam's step come from the budget (:func:`inpaintkit.config.budget`) unless given."""
    budget = config.budget()
    face = np.asarray(face, dtype=np.float32)[None] if np.ndim(face) == 3 else np.asarray(face, np.float32)
    known = masks.make_mask(pattern, seed=seed)[None]
    mu = masks.pattern(pattern).mu if mu is None else mu
    result = fig8(face, known, G, D, mu=mu, lam=lam, inpaint_steps=budget.inpaint_steps if steps is None else steps,
                  refine_steps=budget.refine_steps if steps is None else steps, learning_rate=budget.learning_rate,
                  seed=seed, original=face, progress=progress)
    figure = result.plot()
    _close(figure)
    return {"figure": figure, "result": result, "table": result.summary(), "mu": mu, "lam": lam,
            "pattern": pattern, "seed": seed, "steps": steps}


# λ is offered on a fixed ladder so that the paper's 0.003 is sent to the kernel exactly (a
# logarithmic slider would snap it to 10^-2.5 = 0.00316); 0 switches the perceptual term off.
LAMBDAS = (0.0, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def mu_note(pattern: int, mu: float, follows: bool) -> str:
    """What the µ slider holds and why, shown under the controls of the refinement widget."""
    paper = masks.pattern(pattern).mu
    if follows:
        return f"µ = {paper:.2f}, the paper's value for pattern ({pattern}); moving the µ slider keeps yours"
    return f"µ = {mu:.2f}, yours (the paper's for ({pattern}) is {paper:.2f}); tick the box to go back to it"


def refinement_explorer(faces, G, D, *, face: int = 0, pattern: int = 5, seed: int = 0, initial=None):
    """Pick a face, a hole pattern, a seed, µ, λ and the steps; a button runs the pipeline with a
    progress bar and shows the four metrics before and after refinement (wraps refinement_demo).

    µ follows the paper's value for the chosen pattern until the learner moves the µ slider; from
    then on a pattern change keeps the learner's µ, and a note under the controls says which µ is
    in use. ``initial``: a result of :func:`refinement_demo` shown before the first click; the
    controls start at its pattern, seed, µ, λ and steps.
    """
    steps_value, mu_value, lam_value = config.budget().refine_steps, masks.pattern(pattern).mu, 0.003
    if initial is not None:
        pattern, seed, mu_value, lam_value = initial["pattern"], initial["seed"], initial["mu"], initial["lam"]
        steps_value = initial["steps"] or steps_value
    face_slider = w.IntSlider(face, 0, len(faces) - 1, description="face")
    pattern_menu = _pattern_dropdown(pattern)
    seed_slider = w.IntSlider(seed, 0, 99, description="seed")
    mu = w.FloatSlider(mu_value, min=0.0, max=2.0, step=0.01, description="µ", readout_format=".2f")
    lam = w.SelectionSlider(options=[(f"{v:g}", v) for v in LAMBDAS], value=lam_value, description="λ")
    steps = w.IntSlider(steps_value, 10, 3000, step=10, description="steps")
    follows = w.Checkbox(mu_value == masks.pattern(pattern).mu, description="µ = paper's value for the pattern",
                         indent=False)
    note = w.Label(mu_note(pattern, mu.value, follows.value))
    run, out = _run_button("inpaint + refine"), w.Output()
    setting = {"by_code": False}

    def set_mu_to_paper():
        setting["by_code"] = True
        try:
            mu.value = masks.pattern(pattern_menu.value).mu
        finally:
            setting["by_code"] = False

    def on_pattern(_):
        if follows.value:
            set_mu_to_paper()
        note.value = mu_note(pattern_menu.value, mu.value, follows.value)

    def on_mu(_):
        if not setting["by_code"]:
            follows.value = False  # the learner chose a µ: keep it
        note.value = mu_note(pattern_menu.value, mu.value, follows.value)

    def on_follows(change):
        if change["new"]:
            set_mu_to_paper()
        note.value = mu_note(pattern_menu.value, mu.value, follows.value)

    pattern_menu.observe(on_pattern, names="value")
    mu.observe(on_mu, names="value")
    follows.observe(on_follows, names="value")
    if initial is not None:
        _show(out, initial["figure"], before=initial["table"])

    def on_click(_):
        def work():
            with out:
                out.clear_output(wait=True)
                demo = refinement_demo(faces[face_slider.value], pattern_menu.value, seed_slider.value, mu.value,
                                       lam.value, steps.value, G=G, D=D)
            _show(out, demo["figure"], before=demo["table"])
        _running(run, out, work)

    run.on_click(on_click)
    return w.VBox([w.HBox([face_slider, pattern_menu, seed_slider]), w.HBox([mu, lam, steps]),
                   w.HBox([follows, note]), run, out])


# ----------------------------------------------------------------------------- your own face (notebook 07)
def framed_from_upload(value):
    """The face of an ``ipywidgets.FileUpload`` value (its last file), framed like CelebA."""
    files = list(value.values()) if isinstance(value, dict) else list(value)  # ipywidgets 7 gave a dict
    if not files:
        raise ValueError("no photo uploaded yet")
    upload = files[-1]
    return frame_photo(bytes(upload["content"]), name=upload.get("name", "uploaded photo"))


def show_framed_photo(framed):
    """The photo with the detection box (yellow) and the square cut for the face (red), and the
    64×64 face it gives: what :func:`inpaintkit.faces.frame_photo` did. (For a CelebA crop and
    its central 108 × 108 box, see :func:`inpaintkit.plotting.show_framing`.)"""
    figure, (left, right) = plt.subplots(1, 2, figsize=(6, 3), width_ratios=[framed.photo.shape[1] / framed.photo.shape[0], 1])
    left.imshow(framed.photo)
    for box, colour, label in ((framed.box, "gold", "face found"), (framed.crop, "red", "CelebA framing")):
        left.add_patch(Rectangle((box.left, box.top), box.side, box.side, fill=False, color=colour, lw=2, label=label))
    left.legend(loc="lower left", fontsize=7)
    left.set_title(framed.source, fontsize=8)
    right.imshow(to_uint8(framed.face))
    right.set_title("framed, 64 × 64", fontsize=8)
    for ax in (left, right):
        ax.set_axis_off()
    figure.tight_layout()
    return figure


def mask_preview(face, known, scale: int = 4) -> np.ndarray:
    """The face enlarged ``scale``× with the hole tinted red: uint8 (64·scale, 64·scale, 3)."""
    image = to_uint8(face).astype(np.float32)
    hole = ~np.asarray(known, bool)
    image[hole] = 0.4 * image[hole] + 0.6 * np.array([230, 30, 30], np.float32)
    return np.repeat(np.repeat(image.astype(np.uint8), scale, axis=0), scale, axis=1)


def png_bytes(image) -> bytes:
    """A [−1, 1] image (or a uint8 one) as PNG file bytes (for the download links and previews)."""
    from PIL import Image

    image = np.asarray(image)
    buffer = io.BytesIO()
    Image.fromarray(image if image.dtype == np.uint8 else to_uint8(image)).save(buffer, "PNG")
    return buffer.getvalue()


def download_name(source: str, what: str) -> str:
    """The file name a download gets: the face's source and what the file holds,
    e.g. ('me.jpg', 'refined') → 'me_refined.png'."""
    stem = source.rsplit(".", 1)[0] if re.search(r"\.[A-Za-z]{3,4}$", source) else source
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "face"
    return f"{stem}_{what}.png"


# What each download holds: Fig. 8's two blends.
DOWNLOADS = {"refined": "the refined face (after refinement: Fig. 8's result)",
             "inpainted": "the inpainted face [Yeh] (before refinement)"}


def own_face_demo(face, known, *, mu: float | None = None, steps: int | None = None, seed: int = 0,
                  inpaint_steps: int | None = None, refine_steps: int | None = None,
                  learning_rate: float | None = None, G=None, D=None, progress: bool = True,
                  title: str | None = None) -> dict:
    """Inpaint → blend → refine → blend one framed face with a drawn (or pattern) hole, exactly as
    ``python -m inpaintkit inpaint`` does: the panel (closed, shown where the caller displays it),
    the result, the four metrics before and after refinement against the unmasked face, the
    settings used, and the two blends as PNG downloads named after the face (``title``).

    ``steps`` sets both stages unless ``inpaint_steps`` / ``refine_steps`` are given;
    ``learning_rate`` is Adam's step on z. Left out, they are the budget's, as in the CLI
    (:func:`inpaintkit.config.budget`). G and D default to the shipped weights.
    """
    known = masks.validate_known(known)
    budget = config.budget()
    if G is None or D is None:
        G, D = load_pretrained()
    inpaint_steps = inpaint_steps if inpaint_steps is not None else budget.inpaint_steps if steps is None else steps
    refine_steps = refine_steps if refine_steps is not None else budget.refine_steps if steps is None else steps
    result = inpaint_own_faces(face, known, G, D, mu=mu, steps=inpaint_steps, refine_steps=refine_steps,
                               learning_rate=budget.learning_rate if learning_rate is None else learning_rate,
                               seed=seed, progress=progress)
    figure = panel_figure(result, 0, title)
    _close(figure)
    metrics = result.metrics()
    source = title or "face"
    settings = {"mu": round(float(result.mu.reshape(-1)[0]), 4), "seed": seed,
                **{key: result.settings[key] for key in ("inpaint_steps", "refine_steps", "learning_rate")}}
    downloads = {"refined": (download_name(source, "refined"), png_bytes(result.x[0])),
                 "inpainted": (download_name(source, "inpainted"), png_bytes(result.x_b[0]))}
    return {"figure": figure, "result": result, "table": result.summary(), "source": source,
            "metrics": {when: {k: float(v[0]) for k, v in values.items()} for when, values in metrics.items()},
            "mu": settings["mu"], "settings": settings, "png": downloads["refined"][1], "downloads": downloads}


def own_face_heading(demo: dict) -> str:
    """The line above a result: which face and with which settings."""
    s = demo["settings"]
    return (f"{demo['source']}: µ {s['mu']:.2f}, {s['inpaint_steps']} + {s['refine_steps']} steps at Adam step "
            f"{s['learning_rate']:g}, seed {s['seed']}; against the unmasked face:")


def download_links(demo: dict) -> str:
    """HTML links that download the result's two PNGs, each named for what it holds."""
    links = []
    for key, (name, data) in demo["downloads"].items():
        encoded = base64.b64encode(data).decode()
        links.append(f'<a download="{html.escape(name)}" href="data:image/png;base64,{encoded}">'
                     f"{html.escape(name)}</a>: {DOWNLOADS[key]}")
    return "download: " + " · ".join(links)


MU_RULE = ("µ follows the hole: the paper's µ for a pattern you start from (0.66, 0.33 or 0.2), and for a "
           "drawn or edited hole 0.66 up to 3/8 of the face missing, else 0.33 (§3.3), until you move the slider.")


def hole_mu(known, pattern: int | None = None) -> tuple[float, str]:
    """The µ the studio's rule (:data:`MU_RULE`) gives a hole, and why: the paper's µ when the hole
    is one of its patterns (§3.3), else :func:`inpaintkit.faces.default_mu` by the hole's size."""
    if pattern is not None:
        chosen = masks.pattern(pattern)
        return chosen.mu, f"the paper's µ for pattern ({chosen.number})"
    share = masks.missing_fraction(known)
    return default_mu(known), f"a drawn hole of {share:.0%} ({'≤' if share <= 0.375 else '>'} 3/8 of the face)"


def studio_mu_note(mu: float, follows: bool, rule: float, reason: str) -> str:
    """The line under the µ slider: which µ the next run uses and why."""
    if follows:
        return f"µ = {mu:.2f}: {reason}. {MU_RULE}"
    return (f"µ = {mu:.2f}, yours: it stays when the hole changes (the hole's rule gives {rule:.2f}: {reason}); "
            "tick the box to follow the hole again.")


# Adam's step on z offered by the studio (the budget's own value is always among them).
ADAM_STEPS = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)

# A click that reaches the kernel this soon after a run ended was sent while the run was going
# (the kernel queues it behind the run), e.g. the second click of a double click: it is dropped.
QUEUED_CLICK_SECONDS = 0.5

RUN_LABEL = "inpaint + refine"
NO_FACE = "no face yet: upload a photo with a face in it, or pick a built-in face"
NO_HOLE = "there is no hole yet: draw one, cut a rectangle or start from a pattern"
ALL_HOLE = "the hole covers the whole face: erase some of it, or clear and start again"


def _forget_current_canvas() -> None:
    """Make ipycanvas name the canvas before its next drawing command.

    ipycanvas's Python side remembers which canvas the browser draws on and says so only when it
    changes; a reloaded page starts without one, and every command then fails in the browser
    (``putImageData`` of undefined: ipycanvas issue #322). Forgetting it makes the next command
    name the canvas again.
    """
    try:
        from ipycanvas import canvas as ipycanvas_canvas
    except ImportError:
        return
    manager = getattr(ipycanvas_canvas, "_CANVAS_MANAGER", None)
    if manager is not None and hasattr(manager, "_current_canvas"):
        manager._current_canvas = None


def _drawing_canvas(size: int):
    """An ipycanvas canvas of size × size pixels, or None when ipycanvas cannot be imported."""
    try:
        from ipycanvas import Canvas
    except ImportError:
        return None
    return Canvas(width=size, height=size, layout=w.Layout(width=f"{size}px", height=f"{size}px"))


def own_face_studio(G=None, D=None, *, scale: int = 4, canvas: bool | None = None, initial: dict | None = None):
    """Upload a photo or pick a built-in face; see it framed; draw the hole with the mouse (brush,
    erase, clear), cut rectangles or start from a pattern; inpaint + refine; metrics; downloads.

    Opens on built-in face 0 with the centred square (pattern 5) as the hole, µ by
    :data:`MU_RULE`, and the budget's steps and Adam step (``config.budget()``). ``canvas``: None
    draws with ipycanvas when it can be imported, False never (some hosted notebooks cannot show
    it: the hole is then cut as rectangles or a pattern, shown as an ordinary image). ``initial``:
    a result of :func:`own_face_demo` on built-in face 0, shown before the first click (the
    controls take its hole, µ, steps, Adam step and seed). Returns the widget box; its ``state``
    holds the framed face, the hole (``start`` mask, ``strokes``, the ``pattern`` it still is),
    the last result and the number of runs; ``handlers`` its callbacks (for tests).
    """
    budget = config.budget()
    size = masks.SIZE * scale
    state = {"framed": None, "strokes": [], "start": masks.make_mask(5), "pattern": 5, "drawing": None,
             "demo": None, "runs": 0, "running": False, "finished": -np.inf}
    board = _drawing_canvas(size) if canvas is not False else None
    if canvas is True and board is None:
        raise ImportError("canvas=True needs ipycanvas (pip install ipycanvas); canvas=False draws without it")
    picture = None if board is not None else w.Image(format="png",
                                                     layout=w.Layout(width=f"{size}px", height=f"{size}px"))

    upload = w.FileUpload(accept="image/*", multiple=False, description="your photo")
    builtin = w.IntSlider(0, 0, len(data._portraits()) - 1, description="built-in face")
    framing_out, result_out, download = w.Output(), w.Output(), w.HTML()
    brush = w.FloatSlider(3.0, min=1.0, max=12.0, step=0.5, description="brush")
    erase = w.ToggleButton(False, description="erase", icon="eraser")
    clear = w.Button(description="clear")
    start_pattern = _pattern_dropdown(5)
    use_pattern = w.Button(description="start from pattern")
    across = w.IntRangeSlider(value=(16, 48), min=0, max=masks.SIZE, description="hole x")
    down_range = w.IntRangeSlider(value=(16, 48), min=0, max=masks.SIZE, description="hole y")
    cut = w.Button(description="cut rectangle")
    hole_info = w.Label()
    mu = w.FloatSlider(masks.pattern(5).mu, min=0.0, max=2.0, step=0.01, description="µ", readout_format=".2f")
    follows = w.Checkbox(True, description="µ follows the hole", indent=False)
    note = w.HTML()
    wide = {"description_width": "initial"}  # labels longer than ipywidgets' default width, in full
    inpaint_steps = w.IntSlider(budget.inpaint_steps, 10, 3000, step=10, description="inpaint steps", style=wide)
    refine_steps = w.IntSlider(budget.refine_steps, 10, 3000, step=10, description="refine steps", style=wide)
    rate = w.SelectionSlider(options=[(f"{v:g}", v) for v in sorted({*ADAM_STEPS, budget.learning_rate})],
                             value=budget.learning_rate, description="Adam step", style=wide)
    seed = w.IntSlider(0, 0, 99, description="seed")
    run = w.Button(description=RUN_LABEL, button_style="primary", layout=w.Layout(width="auto"))
    # The canvas takes the keyboard on a mouse press and keeps every key (ipycanvas stops them):
    # after a stroke the focus moves here, an invisible button inside the notebook, so Shift+Enter,
    # Ctrl+S and the other shortcuts work again.
    keyboard = w.Button(tooltip="keyboard back to the notebook", tabbable=False,
                        layout=w.Layout(width="0px", height="0px", padding="0px", margin="0px", border="0px"))
    setting = {"by_code": False}

    def known_now():
        return masks.mask_from_strokes(state["strokes"], state["start"])

    def redraw():
        if state["framed"] is None:
            blank = np.full((size, size, 3), 200, np.uint8)
            show(blank)
            hole_info.value = "no face"
            return
        known = known_now()
        show(mask_preview(state["framed"].face, known, scale))
        hole_info.value = f"hole: {masks.missing_fraction(known):.1%} of the face"

    def show(image):
        if board is not None:
            from ipycanvas import hold_canvas

            with hold_canvas():
                board.put_image_data(image, 0, 0)
        else:
            picture.value = png_bytes(image)

    def set_mu_by_rule():
        known = known_now()
        rule, reason = hole_mu(known, state["pattern"]) if (~known).any() else (mu.value, "no hole yet")
        if follows.value and mu.value != rule:
            setting["by_code"] = True
            try:
                mu.value = rule
            finally:
                setting["by_code"] = False
        note.value = studio_mu_note(mu.value, follows.value, rule, reason)

    def hole_changed():
        redraw()
        set_mu_by_rule()

    def on_mu(_):
        if not setting["by_code"]:
            follows.value = False  # the learner chose a µ: keep it until the box is ticked again
        set_mu_by_rule()

    def clear_result():
        state["demo"] = None
        result_out.clear_output()
        download.value = ""

    def show_result(demo):
        with result_out:
            result_out.clear_output(wait=True)
            print(own_face_heading(demo))
            print(demo["table"])
            display(demo["figure"])
        download.value = download_links(demo)

    def set_face(framed):
        state["framed"] = framed
        clear_result()
        with framing_out:
            framing_out.clear_output(wait=True)
            figure = show_framed_photo(framed)
            display(figure)
            plt.close(figure)
            print(f"{framed.source}: face found, framed like CelebA (red box)")
            for line in framed.notes:
                print("note:", line)
        hole_changed()

    def no_face(message: str):
        state["framed"] = None
        clear_result()
        with framing_out:
            framing_out.clear_output(wait=True)
            print(message)
        redraw()

    def load_builtin(_=None):
        photo, name = data.sample_photo(builtin.value)
        set_face(frame_photo(photo, name=f"built-in portrait {name}"))

    def load_upload(_=None):
        if not upload.value:
            return
        try:
            framed = framed_from_upload(upload.value)
        except ValueError as error:  # no face, unreadable file: say so, and drop the previous face
            no_face(f"{error}\nThe previous face is put away: upload another photo or pick a built-in face.")
        else:
            set_face(framed)
        finally:
            upload.value = ()  # so that choosing the same file again is a change, and is read again

    def down(x, y):
        if state["framed"] is None:
            return
        state["drawing"] = ([(x / scale, y / scale)], brush.value, erase.value)
        state["strokes"].append(state["drawing"])
        state["pattern"] = None
        hole_changed()

    def move(x, y):
        if state["drawing"] is not None:
            state["drawing"][0].append((x / scale, y / scale))
            hole_changed()

    def up(x, y):
        if state["drawing"] is not None:
            state["drawing"] = None
            keyboard.focus()

    def on_clear(_):
        state.update(strokes=[], start=np.ones((masks.SIZE, masks.SIZE), bool), pattern=None)
        hole_changed()

    def on_pattern(_):
        state.update(strokes=[], start=masks.make_mask(start_pattern.value, seed=seed.value),
                     pattern=start_pattern.value)
        hole_changed()

    def on_cut(_):
        known = known_now()
        (left, right), (top, bottom) = across.value, down_range.value
        known[top:bottom, left:right] = False
        state.update(strokes=[], start=known, pattern=None)
        hole_changed()

    def on_run(_):
        if state["running"] or time.monotonic() - state["finished"] < QUEUED_CLICK_SECONDS:
            return  # sent while the last run was going (a double click): that run answers it
        state["running"] = True
        run.disabled, run.description = True, "running…"
        clear_result()
        demo = None
        try:
            with result_out:  # in a notebook, an unexpected error shows here (the output shows its traceback)
                if state["framed"] is None:
                    print(f"cannot inpaint: {NO_FACE}")
                    return
                known = known_now()
                if known.all() or not known.any():
                    print(f"cannot inpaint: {NO_HOLE if known.all() else ALL_HOLE}")
                    return
                state["runs"] += 1
                try:
                    demo = own_face_demo(state["framed"].face, known, mu=mu.value, seed=seed.value,
                                         inpaint_steps=inpaint_steps.value, refine_steps=refine_steps.value,
                                         learning_rate=rate.value, G=G, D=D, title=state["framed"].source)
                except InputError as error:  # e.g. a mask the pipeline refuses
                    print(f"cannot inpaint: {error}")
                    return
            if demo is not None:
                state["demo"] = demo
                show_result(demo)
        finally:
            state["running"], state["finished"] = False, time.monotonic()
            run.disabled, run.description = False, RUN_LABEL

    def on_client_ready():
        """A browser (re)opened the canvas: it is blank there, so draw it again."""
        _forget_current_canvas()
        redraw()

    if board is not None:
        board.on_mouse_down(down)
        board.on_mouse_move(move)
        board.on_mouse_up(up)
        board.on_mouse_out(up)
        board.on_client_ready(on_client_ready)
    builtin.observe(load_builtin, names="value")
    upload.observe(load_upload, names="value")
    clear.on_click(on_clear)
    use_pattern.on_click(on_pattern)
    cut.on_click(on_cut)
    mu.observe(on_mu, names="value")
    follows.observe(lambda _: set_mu_by_rule(), names="value")
    run.on_click(on_run)
    load_builtin()
    if initial is not None:
        _take_initial(initial, state, (mu, inpaint_steps, refine_steps, rate, seed), follows, setting)
        hole_changed()
        state["demo"] = initial
        show_result(initial)

    if board is not None:
        tools = [brush, erase, clear]
    else:
        why = ("the canvas is off (canvas=False)" if canvas is False else
               "drawing needs ipycanvas, which cannot be imported here")
        tools = [w.HTML(f"<i>{why}: cut the hole as rectangles or start from a pattern.</i>"), clear]
    tools += [w.HBox([start_pattern, use_pattern]), across, down_range, cut, hole_info]
    surface = board if board is not None else picture
    box = w.VBox([w.HBox([upload, builtin]), framing_out, w.HBox([surface, w.VBox(tools)]),
                  w.HBox([mu, inpaint_steps, refine_steps]), w.HBox([follows, note]), w.HBox([rate, seed]),
                  w.HBox([run, keyboard]), result_out, download])
    box.state = state
    box.handlers = {"down": down, "move": move, "up": up, "clear": on_clear, "pattern": on_pattern, "cut": on_cut,
                    "run": on_run, "upload": load_upload, "client_ready": on_client_ready}
    return box


def _take_initial(initial: dict, state: dict, controls, follows, setting) -> None:
    """Set the studio to the hole and settings of a result of :func:`own_face_demo` on its face."""
    result = initial["result"]
    if not np.allclose(result.original[0], state["framed"].face, atol=1e-6):
        raise InputError(f"initial= is a result for another face than the studio's first one "
                         f"({state['framed'].source})")
    known = result.known[0]
    same = [n for n in masks.PATTERNS if np.array_equal(masks.make_mask(n, seed=initial["settings"]["seed"]), known)]
    state.update(strokes=[], start=known.copy(), pattern=same[0] if same else None)
    mu, inpaint_steps, refine_steps, rate, seed = controls
    settings = initial["settings"]
    follows.value = settings["mu"] == hole_mu(known, state["pattern"])[0]  # first: µ then stays as set
    setting["by_code"] = True
    try:
        mu.value, seed.value = settings["mu"], settings["seed"]
        inpaint_steps.value, refine_steps.value = settings["inpaint_steps"], settings["refine_steps"]
        if settings["learning_rate"] not in [v for _, v in rate.options]:
            rate.options = [(f"{v:g}", v) for v in sorted({*[v for _, v in rate.options], settings["learning_rate"]})]
        rate.value = settings["learning_rate"]
    finally:
        setting["by_code"] = False


# ----------------------------------------------------------------------------- notebook helpers (issue 38)
def watch_training(images, out, config, *, steps: int, updates: int = 8, count: int = 16, seed: int = 1) -> dict:
    """Train the DCGAN for ``steps`` steps (:func:`inpaintkit.training.train`) and redraw one grid of
    ``count`` samples from fixed codes after each of ``updates`` chunks, so the notebook shows the
    generator learning. Each chunk resumes the last one from its checkpoint (``resume=True``), so
    the run computes what one call of ``train`` with ``max_steps=steps`` would.

    Returns the last chunk's result of ``train`` with ``history`` holding every step of the run.
    """
    from IPython.display import HTML, Image

    ends = sorted({max(1, round(steps * (i + 1) / max(1, updates))) for i in range(max(1, updates))})
    codes = sample_z(count, seed=seed)
    shown = display(HTML("<i>training…</i>"), display_id=True)
    history: dict[str, list[float]] = {}
    result: dict = {}
    for end in ends:
        result = train(images, out, config, resume=bool(history), max_steps=end, progress=False,
                       samples_every_epoch=False)
        for key, values in result["history"].items():
            history.setdefault(key, []).extend(values)
        figure = show_grid(result["G"](codes, training=False).numpy(), ncols=8, size=0.8,
                           suptitle=f"G's samples from {count} fixed codes after step {result['step']} of {steps}")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        _close(figure)
        image = Image(data=buffer.getvalue())
        shown.update(image) if shown is not None else display(image)  # None: not in a notebook
    return {**result, "history": history}

