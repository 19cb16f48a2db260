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
