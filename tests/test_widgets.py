"""The widgets' plain functions, and that every widget builds without a frontend."""
from __future__ import annotations

import numpy as np
import pytest

from inpaintkit import dcgan, masks, widgets


@pytest.fixture(scope="module")
def models():
    return dcgan.build_generator(8), dcgan.build_discriminator(8)


@pytest.fixture(scope="module")
def faces():
    return np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32)


def test_render_pattern_draws_the_chosen_mask(faces):
    figure, known = widgets.render_pattern(faces[0], pattern=4, seed=0)
    np.testing.assert_array_equal(known, masks.make_mask(4))
    assert "50.0% missing" in figure.axes[1].get_title()


def test_pattern_picker_builds_headless(faces):
    ui = widgets.pattern_picker(faces[0])
    dropdown, seed = ui.children[0].children
    assert dropdown.value == 5 and seed.value == 0
    dropdown.value = 6  # redraws through render_pattern without a frontend


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
