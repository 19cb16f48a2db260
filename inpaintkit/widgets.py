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
    result = own.inpaint_own_faces(face, known, mu=mu, steps=steps, seed=seed, G=G, D=D, progress=progress)
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
