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


def test_describe_pattern_names_share_and_mu():
    text = widgets.describe_pattern(4, masks.make_mask(4))
    assert text == "(4) left half: missing 50.0% · paper's µ 0.33"


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


def test_refinement_demo_uses_the_paper_mu_by_default(models, faces):
    G, D = models
    demo = widgets.refinement_demo(faces[0], pattern=3, seed=1, steps=3, G=G, D=D, progress=False)
    assert demo["mu"] == 0.2
    assert "before" in demo["table"] and "after" in demo["table"]


def test_explorers_build_headless(models, faces):
    G, D = models
    refine_ui = widgets.refinement_explorer(faces, G, D)
    inpaint_ui = widgets.inpainting_explorer(faces, G, D)
    pattern = refine_ui.children[0].children[1]
    mu = refine_ui.children[1].children[0]
    pattern.value = 3
    assert mu.value == pytest.approx(0.2)  # the µ slider follows the paper's value per pattern
    assert inpaint_ui.children[1].description == "inpaint"
