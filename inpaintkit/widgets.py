"""Widgets for the notebooks. Each wraps a plain, tested function (``render_pattern``,
``inpaint_demo``, ``refinement_demo``), and each notebook calls that function once with its
defaults before showing the widget, so a headless run exercises exactly the widget's code.

The plain functions close their figures: a notebook cell shows a figure only inside its widget,
whose controls are set to the same parameters (``initial=``), never a stale one beside it."""
from __future__ import annotations

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from . import config, masks
from .blending import poisson_blend
from .latent import sample_z
from .inpainting import semantic_inpaint
from .metrics import image_metrics
from .pipeline import fig8
from .plotting import show_grid
from .training import train


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
    from .faces import frame_photo

    files = list(value.values()) if isinstance(value, dict) else list(value)  # ipywidgets 7 gave a dict
    if not files:
        raise ValueError("no photo uploaded yet")
    upload = files[-1]
    return frame_photo(bytes(upload["content"]), name=upload.get("name", "uploaded photo"))


def show_framing(framed):
    """The photo with the detection box (yellow) and the square cut for the face (red), and the
    64×64 face it gives: what :func:`inpaintkit.faces.frame_photo` did."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from .data import to_uint8

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
    from .data import to_uint8

    image = to_uint8(face).astype(np.float32)
    hole = ~np.asarray(known, bool)
    image[hole] = 0.4 * image[hole] + 0.6 * np.array([230, 30, 30], np.float32)
    return np.repeat(np.repeat(image.astype(np.uint8), scale, axis=0), scale, axis=1)


def png_bytes(image) -> bytes:
    """A [−1, 1] image as PNG file bytes (for the download link)."""
    import io

    from PIL import Image

    from .data import to_uint8

    buffer = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buffer, "PNG")
    return buffer.getvalue()


def own_face_demo(face, known, *, mu: float | None = None, steps: int | None = None, seed: int = 0,
                  G=None, D=None, progress: bool = True, title: str | None = None) -> dict:
    """Inpaint → blend → refine → blend one framed face with a drawn (or pattern) hole, exactly as
    ``python -m inpaintkit inpaint`` does: the panel, the result, the four metrics before and
    after refinement against the unmasked face, and the refined face as PNG bytes."""
    from . import faces as own

    known = masks.validate_known(known)
    budget = config.budget()
    result = own.inpaint_own_faces(face, known, G, D, mu=mu, steps=budget.inpaint_steps if steps is None else steps,
                                   refine_steps=budget.refine_steps if steps is None else steps,
                                   learning_rate=budget.learning_rate, seed=seed, progress=progress)
    metrics = result.metrics()
    return {"figure": own.panel_figure(result, 0, title), "result": result, "table": result.summary(),
            "metrics": {when: {k: float(v[0]) for k, v in values.items()} for when, values in metrics.items()},
            "mu": round(float(result.mu.reshape(-1)[0]), 4), "png": png_bytes(result.x[0])}


def own_face_studio(G=None, D=None, *, scale: int = 4):
    """Upload a photo or pick a built-in face; see it framed; draw the hole with the mouse (brush,
    erase, clear, or start from a pattern); inpaint + refine with a µ slider; metrics; download.

    Built from the tested functions above and :func:`inpaintkit.masks.mask_from_strokes`; the
    canvas is ipycanvas (works in JupyterLab and Notebook 7). Returns the widget box; its
    ``state`` attribute holds the framed face, the strokes and the last result.
    """
    import base64

    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display
    from ipycanvas import Canvas, hold_canvas

    from . import config, data
    from .faces import default_mu, frame_photo

    size = masks.SIZE * scale
    state = {"framed": None, "strokes": [], "start": None, "drawing": None, "demo": None}
    count = len(data._portraits())
    upload = w.FileUpload(accept="image/*", multiple=False, description="your photo")
    builtin = w.IntSlider(0, 0, count - 1, description="built-in face")
    framing_out, result_out = w.Output(), w.Output()
    canvas = Canvas(width=size, height=size, layout=w.Layout(width=f"{size}px", height=f"{size}px"))
    brush = w.FloatSlider(3.0, min=1.0, max=12.0, step=0.5, description="brush")
    erase = w.ToggleButton(False, description="erase", icon="eraser")
    clear = w.Button(description="clear")
    start_pattern = _pattern_dropdown(5)
    use_pattern = w.Button(description="start from pattern")
    hole_info = w.Label()
    mu = w.FloatSlider(0.66, min=0.0, max=2.0, step=0.01, description="µ")
    steps = w.IntSlider(config.budget().refine_steps, 10, 3000, step=10, description="steps")
    seed = w.IntSlider(0, 0, 99, description="seed")
    run = w.Button(description="inpaint + refine", button_style="primary")
    download = w.HTML()

    def known_now():
        return masks.mask_from_strokes(state["strokes"], state["start"])

    def redraw():
        if state["framed"] is None:
            return
        known = known_now()
        with hold_canvas(canvas):
            canvas.put_image_data(mask_preview(state["framed"].face, known, scale), 0, 0)
        share = masks.missing_fraction(known)
        hole_info.value = f"hole: {share:.1%} of the face"
        if 0 < share < 1:
            mu.value = default_mu(known)

    def set_face(framed):
        state.update(framed=framed, strokes=[], demo=None)
        with framing_out:
            framing_out.clear_output(wait=True)
            figure = show_framing(framed)
            display(figure)
            plt.close(figure)
            for note in framed.notes:
                print("note:", note)
        redraw()

    def load_builtin(_=None):
        photo, name = data.sample_photo(builtin.value)
        set_face(frame_photo(photo, name=f"built-in portrait {name}"))

    def load_upload(_=None):
        try:
            set_face(framed_from_upload(upload.value))
        except ValueError as error:  # no face, unreadable file: say so where the framing shows
            with framing_out:
                framing_out.clear_output(wait=True)
                print(error)

    def down(x, y):
        state["drawing"] = ([(x / scale, y / scale)], brush.value, erase.value)
        state["strokes"].append(state["drawing"])
        redraw()

    def move(x, y):
        if state["drawing"] is not None:
            state["drawing"][0].append((x / scale, y / scale))
            redraw()

    def up(x, y):
        state["drawing"] = None

    def on_clear(_):
        state.update(strokes=[], start=None)
        redraw()

    def on_pattern(_):
        state.update(strokes=[], start=masks.make_mask(start_pattern.value, seed=seed.value))
        redraw()

    def on_run(_):
        with result_out:
            result_out.clear_output(wait=True)
            try:
                demo = own_face_demo(state["framed"].face, known_now(), mu=mu.value, steps=steps.value,
                                     seed=seed.value, G=G, D=D, title=state["framed"].source)
            except (ValueError, AttributeError) as error:
                print(f"cannot inpaint yet: {error}")
                return
            state["demo"] = demo
            print(f"µ {demo['mu']:.2f}; against the unmasked face:")
            print(demo["table"])
            display(demo["figure"])
            plt.close(demo["figure"])
        encoded = base64.b64encode(demo["png"]).decode()
        download.value = (f'<a download="inpainted_face.png" href="data:image/png;base64,{encoded}">'
                          "download the refined face (PNG)</a>")

    canvas.on_mouse_down(down)
    canvas.on_mouse_move(move)
    canvas.on_mouse_up(up)
    canvas.on_mouse_out(up)
    builtin.observe(load_builtin, names="value")
    upload.observe(load_upload, names="value")
    clear.on_click(on_clear)
    use_pattern.on_click(on_pattern)
    run.on_click(on_run)
    load_builtin()
    box = w.VBox([w.HBox([upload, builtin]), framing_out,
                  w.HBox([canvas, w.VBox([brush, erase, clear, w.HBox([start_pattern, use_pattern]), hole_info])]),
                  w.HBox([mu, steps, seed]), run, result_out, download])
    box.state = state
    box.handlers = {"down": down, "move": move, "up": up, "clear": on_clear, "pattern": on_pattern, "run": on_run}
    return box


# ----------------------------------------------------------------------------- notebook helpers (issue 38)
def watch_training(images, out, config, *, steps: int, updates: int = 8, count: int = 16, seed: int = 1) -> dict:
    """Train the DCGAN for ``steps`` steps (:func:`inpaintkit.training.train`) and redraw one grid of
    ``count`` samples from fixed codes after each of ``updates`` chunks, so the notebook shows the
    generator learning. Each chunk resumes the last one from its checkpoint (``resume=True``), so
    the run computes what one call of ``train`` with ``max_steps=steps`` would.

    Returns the last chunk's result of ``train`` with ``history`` holding every step of the run.
    """
    import io

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

