"""The widgets' plain functions, and that every widget builds without a frontend."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from inpaintkit import dcgan, masks, widgets


@pytest.fixture(scope="module")
def models():
    return dcgan.build_generator(8), dcgan.build_discriminator(8)


@pytest.fixture(scope="module")
def faces():
    return np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("number", range(1, 7))
def test_render_pattern_draws_the_chosen_mask(faces, number):
    figure, known = widgets.render_pattern(faces[0], pattern=number, seed=3)
    np.testing.assert_array_equal(known, masks.make_mask(number, seed=3))
    assert f"{masks.missing_fraction(known):.1%} missing" in figure.axes[1].get_title()
    shown = figure.axes[1].images[0].get_array()
    np.testing.assert_allclose(shown[~known], 0.5)  # holes drawn grey (0 in [−1, 1])
    np.testing.assert_array_equal(figure.axes[2].images[0].get_array(), known.astype(float))  # white = known
    assert figure.axes[2].axison and not figure.axes[0].axison  # the mask panel is framed
    assert not plt.fignum_exists(figure.number)  # closed: the inline backend draws no stale copy


def test_describe_pattern_names_the_share_and_not_yet_mu():
    text = widgets.describe_pattern(4, masks.make_mask(4))
    assert text == "(4) left half: missing 50.0%"


def test_pattern_picker_builds_headless(faces, capsys):
    calls = []
    ui = widgets.pattern_picker(faces[0], on_change=lambda *args: calls.append(args))
    dropdown, seed = ui.children[0].children
    assert dropdown.value == 5 and seed.value == 0
    assert [c[:2] for c in calls] == [(5, 0)]
    dropdown.value = 6  # redraws through render_pattern without a frontend
    seed.value = 4
    assert [c[:2] for c in calls] == [(5, 0), (6, 0), (6, 4)]
    np.testing.assert_array_equal(calls[-1][2], masks.make_mask(6, seed=4))
    assert "(6) 70 % random pixels: missing 70.0%" in capsys.readouterr().out
    assert len(dropdown.options) == 6


def test_inpaint_demo_runs_the_real_functions(models, faces):
    G, D = models
    demo = widgets.inpaint_demo(faces[0], pattern=1, seed=2, steps=3, G=G, D=D, progress=False)
    np.testing.assert_array_equal(demo["blended"][0][demo["known"]], faces[0][demo["known"]])
    assert set(demo["metrics"]) == {"MAE", "MSE", "PSNR", "MSSIM"}
    assert not plt.fignum_exists(demo["figure"].number)


def test_refinement_demo_uses_the_paper_mu_by_default(models, faces):
    G, D = models
    demo = widgets.refinement_demo(faces[0], pattern=3, seed=1, steps=3, G=G, D=D, progress=False)
    assert demo["mu"] == 0.2
    assert "before" in demo["table"] and "after" in demo["table"]
    assert not plt.fignum_exists(demo["figure"].number)


def test_explorers_build_headless(models, faces):
    G, D = models
    refine_ui = widgets.refinement_explorer(faces, G, D)
    inpaint_ui = widgets.inpainting_explorer(faces, G, D)
    pattern = refine_ui.children[0].children[1]
    assert [label for label, _ in pattern.options][0] == "(1) random square (25 %)"  # numbered as elsewhere
    mu = refine_ui.children[1].children[0]
    pattern.value = 3
    assert mu.value == pytest.approx(0.2)  # the µ slider follows the paper's value per pattern
    assert inpaint_ui.children[1].description == "inpaint"


def test_lambda_is_sent_exactly(models, faces):
    G, D = models
    lam = widgets.refinement_explorer(faces, G, D).children[1].children[1]
    assert lam.value == 0.003  # exactly, not 10^-2.5
    assert 0.0 in [v for _, v in lam.options]


def test_a_mu_the_learner_set_survives_a_pattern_change(models, faces):
    G, D = models
    ui = widgets.refinement_explorer(faces, G, D)
    pattern = ui.children[0].children[1]
    mu = ui.children[1].children[0]
    follows, note = ui.children[2].children
    assert follows.value and "paper's value" in note.value
    mu.value = 0.5
    assert not follows.value
    pattern.value = 4
    assert mu.value == 0.5 and "0.50, yours" in note.value and "0.33" in note.value
    follows.value = True
    assert mu.value == pytest.approx(0.33)


def test_explorers_show_the_initial_result_with_matching_controls(models, faces, capsys):
    G, D = models
    demo = widgets.inpaint_demo(faces[1], pattern=2, seed=4, steps=2, G=G, D=D, progress=False)
    ui = widgets.inpainting_explorer(faces, G, D, face=1, initial=demo)
    face, pattern, seed = ui.children[0].children
    assert (face.value, pattern.value, seed.value) == (1, 2, 4)
    assert widgets.metrics_line(demo["metrics"]) in capsys.readouterr().out  # shown (headless: printed)
    refined = widgets.refinement_demo(faces[0], pattern=4, seed=1, mu=0.5, lam=0.01, steps=10, G=G, D=D,
                                      progress=False)
    ui = widgets.refinement_explorer(faces, G, D, initial=refined)
    mu, lam, steps = ui.children[1].children
    assert (ui.children[0].children[1].value, mu.value, lam.value, steps.value) == (4, 0.5, 0.01, 10)
    assert not ui.children[2].children[0].value  # µ 0.5 is not the paper's: the box is unticked


# ----------------------------------------------------------------------------- notebook 07: the own-face studio
STEPS = 10  # the sliders' smallest value: quick runs on the tiny models


def _photo_bytes(array, fmt="PNG") -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def portrait_file():
    """A built-in public-domain portrait as an upload's file bytes (not built-in face 0)."""
    from inpaintkit import data

    entry = data._portraits()[3]
    return entry["file"], (data.PORTRAITS_DIR / entry["file"]).read_bytes()


@pytest.fixture(scope="module")
def faceless_file():
    """A smooth colour ramp: a photo without a face."""
    ramp = np.linspace(0, 255, 160, dtype=np.float32)
    image = np.stack([np.add.outer(ramp, ramp) / 2, np.tile(ramp, (160, 1)), np.tile(ramp[:, None], (1, 160))], -1)
    return _photo_bytes(image.astype(np.uint8))


def _upload(value_bytes: bytes, name: str) -> tuple:
    """A FileUpload value as the browser sends it (ipywidgets 8)."""
    from datetime import datetime, timezone

    return ({"name": name, "type": "image/png", "size": len(value_bytes),
             "last_modified": datetime(2024, 1, 1, tzinfo=timezone.utc),
             "content": memoryview(value_bytes)},)


class Studio:
    """Named handles on the studio's controls (the layout is the widget's, read once here)."""

    def __init__(self, box):
        self.box, self.state, self.handlers = box, box.state, box.handlers
        self.upload, self.builtin = box.children[0].children
        self.framing = box.children[1]
        self.surface, tools = box.children[2].children
        self.tools = tools.children
        self.mu, self.inpaint_steps, self.refine_steps = box.children[3].children
        self.follows, self.note = box.children[4].children
        self.rate, self.seed = box.children[5].children
        self.run, self.keyboard = box.children[6].children
        self.result, self.download = box.children[7], box.children[8]
        self.pattern_menu = next(t for t in self.tools if hasattr(t, "children")).children[0]
        self.hole = self.tools[-1]

    def stroke(self, *points):
        (x, y), rest = points[0], points[1:]
        scale = self.surface.width / 64 if hasattr(self.surface, "put_image_data") else 4
        self.handlers["down"](x * scale, y * scale)
        for x, y in rest:
            self.handlers["move"](x * scale, y * scale)
        self.handlers["up"](x * scale, y * scale)

    def click_run(self):
        import time

        self.state["finished"] = -np.inf  # a click by a person, not one queued behind the last run
        self.handlers["run"](None)
        time.sleep(0)

    def known(self):
        return masks.mask_from_strokes(self.state["strokes"], self.state["start"])


def _studio(models, **options) -> Studio:
    G, D = models
    studio = Studio(widgets.own_face_studio(G, D, **options))
    studio.inpaint_steps.value = studio.refine_steps.value = STEPS
    return studio


def test_show_framing_names_do_not_clash():
    from inpaintkit import plotting

    assert hasattr(widgets, "show_framed_photo") and not hasattr(widgets, "show_framing")
    assert widgets.show_framed_photo is not plotting.show_framing


def test_own_face_demo_closes_its_figure_and_names_its_downloads(models):
    from inpaintkit import data

    G, D = models
    face = data.sample_faces(1)[0]
    known = masks.make_mask(5)
    demo = widgets.own_face_demo(face, known, mu=0.66, inpaint_steps=STEPS, refine_steps=20, learning_rate=0.03,
                                 G=G, D=D, progress=False, title="me.jpg")
    assert not plt.fignum_exists(demo["figure"].number)  # shown inside the studio only, never under it
    assert demo["settings"] == {"mu": 0.66, "seed": 0, "inpaint_steps": STEPS, "refine_steps": 20,
                                "learning_rate": 0.03}
    names = {key: name for key, (name, _) in demo["downloads"].items()}
    assert names == {"refined": "me_refined.png", "inpainted": "me_inpainted.png"}
    from PIL import Image
    import io

    for key, image in (("refined", demo["result"].x[0]), ("inpainted", demo["result"].x_b[0])):
        saved = np.asarray(Image.open(io.BytesIO(demo["downloads"][key][1])))
        np.testing.assert_array_equal(saved, data.to_uint8(image))  # each file holds what its name says
    links = widgets.download_links(demo)
    assert 'download="me_refined.png"' in links and 'download="me_inpainted.png"' in links
    assert widgets.download_name("built-in portrait A000014", "refined") == "built-in-portrait-A000014_refined.png"


def test_the_adam_step_reaches_both_optimisations(models):
    from inpaintkit import data
    from inpaintkit.errors import InputError

    G, D = models
    face = data.sample_faces(1)[0]
    runs = [widgets.own_face_demo(face, masks.make_mask(5), mu=0.66, steps=5, learning_rate=rate, G=G, D=D,
                                  progress=False)["result"] for rate in (0.003, 0.1)]
    assert runs[1].settings["learning_rate"] == 0.1
    assert not np.allclose(runs[0].z_g, runs[1].z_g) and not np.allclose(runs[0].z_r, runs[1].z_r)
    with pytest.raises(InputError, match="learning_rate"):
        widgets.own_face_demo(face, masks.make_mask(5), steps=2, learning_rate=0.0, G=G, D=D, progress=False)


@pytest.mark.parametrize("name", ["fast", "lab"])
def test_the_studio_opens_with_the_centre_hole_and_the_budget(models, monkeypatch, name):
    from inpaintkit import config

    monkeypatch.setenv("INPAINTKIT_BUDGET", name)
    monkeypatch.delenv("INPAINTKIT_FAST", raising=False)
    budget = config.budget()
    G, D = models
    studio = Studio(widgets.own_face_studio(G, D))
    np.testing.assert_array_equal(studio.known(), masks.make_mask(5))  # as notebook 07's text says
    assert studio.hole.value == "hole: 25.0% of the face" and studio.pattern_menu.value == 5
    assert (studio.inpaint_steps.value, studio.refine_steps.value, studio.rate.value) == \
        (budget.inpaint_steps, budget.refine_steps, budget.learning_rate)
    assert studio.mu.value == 0.66 and studio.follows.value and "until you move the slider" in studio.note.value
    assert studio.download.value == "" and studio.state["demo"] is None


def test_the_run_passes_the_controls_numbers(models, monkeypatch):
    calls = []
    real = widgets.own_face_demo

    def spy(face, known, **options):
        calls.append((options, studio.run.disabled, studio.run.description))
        return real(face, known, **options)

    monkeypatch.setattr(widgets, "own_face_demo", spy)
    studio = _studio(models)
    studio.rate.value, studio.seed.value = 0.003, 7
    studio.click_run()
    options, disabled, label = calls[0]
    assert {k: options[k] for k in ("inpaint_steps", "refine_steps", "learning_rate", "seed", "mu")} == \
        {"inpaint_steps": STEPS, "refine_steps": STEPS, "learning_rate": 0.003, "seed": 7, "mu": 0.66}
    assert disabled and label == "running…"  # no second run can be asked for while one runs
    assert not studio.run.disabled and studio.run.description == widgets.RUN_LABEL


def test_a_click_queued_behind_a_run_is_dropped(models):
    import time

    studio = _studio(models)
    studio.click_run()
    assert studio.state["runs"] == 1
    studio.handlers["run"](None)  # the double click's second click, handled as soon as the first run ended
    assert studio.state["runs"] == 1
    time.sleep(widgets.QUEUED_CLICK_SECONDS + 0.1)
    studio.handlers["run"](None)  # a click made after the run ended
    assert studio.state["runs"] == 2


def test_mu_changes_only_by_its_stated_rule_or_by_the_learner(models):
    studio = _studio(models)
    studio.pattern_menu.value = 3
    studio.handlers["pattern"](None)
    assert studio.mu.value == pytest.approx(0.2) and "pattern (3)" in studio.note.value  # the paper's µ for (3)
    studio.handlers["clear"](None)
    assert studio.mu.value == pytest.approx(0.2)  # no hole: nothing to follow
    studio.stroke((20, 26), (28, 26))
    assert studio.mu.value == pytest.approx(0.66) and "drawn hole" in studio.note.value
    studio.mu.value = 0.5  # the learner's µ
    assert not studio.follows.value and "yours" in studio.note.value
    studio.stroke((10, 40), (60, 40))
    studio.handlers["pattern"](None)
    studio.handlers["cut"](None)
    assert studio.mu.value == 0.5  # kept through strokes, patterns and rectangles
    studio.follows.value = True
    assert studio.mu.value == pytest.approx(0.33)  # pattern (3) plus a rectangle: > 3/8 missing
    assert widgets.MU_RULE in studio.note.value


def test_a_new_face_or_a_failed_run_leaves_no_stale_result(models, portrait_file, faceless_file, capsys):
    """(Headless, the studio's outputs are printed: capsys reads them.)"""
    studio = _studio(models)
    studio.click_run()
    assert studio.state["demo"] is not None and "_refined.png" in studio.download.value
    name, content = portrait_file
    studio.upload.value = _upload(content, name)
    assert studio.state["framed"].source == name and studio.state["demo"] is None
    assert studio.download.value == ""
    assert studio.upload.value == ()  # read and reset: choosing the same file again is a change
    first = studio.state["framed"]
    studio.upload.value = _upload(content, name)
    assert studio.state["framed"] is not first and studio.state["framed"].source == name
    studio.click_run()
    stem = name.rsplit(".", 1)[0]
    assert f'download="{stem}_refined.png"' in studio.download.value

    studio.upload.value = _upload(faceless_file, "wall.png")  # rejected: the previous face goes too
    assert studio.state["framed"] is None and studio.state["demo"] is None and studio.download.value == ""
    assert "no face found in wall.png" in capsys.readouterr().out
    assert studio.hole.value == "no face"
    studio.click_run()
    assert "cannot inpaint: no face yet" in capsys.readouterr().out and studio.download.value == ""

    studio.builtin.value = 1
    studio.click_run()
    assert studio.state["demo"] is not None
    studio.handlers["clear"](None)
    studio.click_run()  # fails: no hole; the last result and its links go
    assert studio.state["demo"] is None and studio.download.value == ""
    assert f"cannot inpaint: {widgets.NO_HOLE}" in capsys.readouterr().out


def test_drawing_gives_the_keyboard_back(models):
    studio = _studio(models)
    sent = []
    studio.keyboard.send = lambda content, buffers=None: sent.append(content)
    studio.handlers["move"](10.0, 10.0)  # the mouse passing over the canvas, no button pressed
    studio.handlers["up"](10.0, 10.0)    # (mouse out)
    assert sent == []
    studio.stroke((20, 26), (28, 26))
    assert sent == [{"do": "focus"}]
    assert studio.keyboard.tabbable is False and studio.keyboard.layout.width == "0px"


def test_a_reloaded_page_gets_the_canvas_drawn_again(models):
    ipycanvas = pytest.importorskip("ipycanvas")
    from ipycanvas.canvas import COMMANDS, _CANVAS_MANAGER

    studio = _studio(models)
    assert isinstance(studio.surface, ipycanvas.Canvas)
    _CANVAS_MANAGER._current_canvas = studio.surface  # what the kernel remembers from before the reload
    batches = []
    original = _CANVAS_MANAGER._send_custom
    _CANVAS_MANAGER._send_custom = lambda command, buffers=[]: batches.append((command, len(buffers)))
    try:
        studio.handlers["client_ready"]()  # the reloaded page's canvas says it is ready
    finally:
        _CANVAS_MANAGER._send_custom = original
    (commands, buffers), = batches
    names = [command[0] for command in commands]
    assert names == [COMMANDS.index("switchCanvas") if isinstance(COMMANDS, list) else COMMANDS["switchCanvas"],
                     COMMANDS.index("putImageData") if isinstance(COMMANDS, list) else COMMANDS["putImageData"]]
    assert buffers == 1  # the face with its hole


def test_the_studio_works_without_ipycanvas(models, monkeypatch):
    """Hosted notebooks where ipycanvas fails: rectangles and patterns from ordinary ipywidgets."""
    import io
    import sys

    from PIL import Image

    monkeypatch.setitem(sys.modules, "ipycanvas", None)  # `import ipycanvas` now fails
    with pytest.raises(ImportError, match="canvas=True needs ipycanvas"):
        widgets.own_face_studio(*models, canvas=True)
    studio = _studio(models)
    assert studio.surface.__class__.__name__ == "Image"
    assert "cannot be imported" in studio.tools[0].value
    preview = np.asarray(Image.open(io.BytesIO(studio.surface.value)))
    assert preview.shape == (256, 256, 3)
    assert preview[128, 128, 0] > 150 > preview[128, 128, 1]  # the centre hole, tinted red
    studio.handlers["clear"](None)
    across, down = [t for t in studio.tools if t.__class__.__name__ == "IntRangeSlider"]
    across.value, down.value = (8, 24), (30, 40)
    studio.handlers["cut"](None)
    assert not studio.known()[30:40, 8:24].any() and studio.known().sum() == 64 * 64 - 16 * 10
    assert studio.hole.value == f"hole: {160 / 4096:.1%} of the face"
    studio.click_run()
    assert studio.state["demo"] is not None and "_refined.png" in studio.download.value
    assert Studio(widgets.own_face_studio(*models, canvas=False)).surface.__class__.__name__ == "Image"


def test_notebook_07s_studio_cell_runs_as_written_without_ipycanvas(models, monkeypatch, capsys):
    """The studio cell's plain default path, as the notebook has it, where ipycanvas cannot load."""
    import json
    import sys
    from pathlib import Path

    from inpaintkit import config, data, faces

    monkeypatch.setitem(sys.modules, "ipycanvas", None)
    notebook = json.loads((Path(__file__).parents[1] / "notebooks" / "07_your_own_face.ipynb").read_text())
    cell, = ["".join(c["source"]) for c in notebook["cells"] if "own_face_studio(" in "".join(c["source"])
             and c["cell_type"] == "code"]
    photo, name = data.sample_photo(0)
    G, D = models
    namespace = {"np": np, "masks": masks, "widgets": widgets, "G": G, "D": D, "budget": config.budget(),
                 "framed": faces.frame_photo(photo, name=f"built-in portrait {name}")}
    *body, last = cell.strip().split("\n")
    exec("\n".join(body), namespace)
    studio = Studio(eval(last, namespace))
    demo = namespace["pattern_demo"]
    assert studio.state["demo"] is demo and f'download="{demo["downloads"]["refined"][0]}"' in studio.download.value
    np.testing.assert_array_equal(studio.known(), masks.make_mask(5))
    assert (studio.inpaint_steps.value, studio.rate.value, studio.mu.value) == \
        (config.budget().inpaint_steps, config.budget().learning_rate, 0.66)
    assert studio.follows.value
    assert widgets.own_face_heading(demo) in capsys.readouterr().out  # shown inside the studio (headless: printed)
    assert not plt.get_fignums()  # no stray figure under the studio


def test_an_initial_result_for_another_face_is_refused(models):
    from inpaintkit import data
    from inpaintkit.errors import InputError

    G, D = models
    other = widgets.own_face_demo(data.sample_faces(2)[1], masks.make_mask(1), steps=2, G=G, D=D, progress=False)
    with pytest.raises(InputError, match="another face"):
        widgets.own_face_studio(G, D, initial=other)


def test_a_run_that_breaks_leaves_no_result_and_the_button_usable(models, monkeypatch):
    studio = _studio(models)
    studio.click_run()
    assert studio.download.value

    def broken(*args, **kwargs):
        raise FloatingPointError("the loss of image 0 is not finite at step 3")

    monkeypatch.setattr(widgets, "own_face_demo", broken)
    with pytest.raises(FloatingPointError):  # headless it propagates; in a notebook the output shows it
        studio.click_run()
    assert studio.state["demo"] is None and studio.download.value == ""
    assert not studio.run.disabled and studio.run.description == widgets.RUN_LABEL
