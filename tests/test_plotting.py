"""The notebook-00 figures: masks as in Fig. 3, the sets of Fig. 2 and the framing box."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from inpaintkit import data, masks, plotting


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_near_hole_set_is_the_known_ring_around_the_hole():
    known = masks.make_mask(5)  # hole = the central 32×32
    near = plotting.near_hole_set(known, window=7)
    ring = np.zeros((64, 64), bool)
    ring[13:51, 13:51] = True  # 3 pixels (half of a 7×7 window) around the hole
    ring &= known
    np.testing.assert_array_equal(near, ring)
    assert near.sum() == 38 * 38 - 32 * 32
    assert not (near & ~known).any()
    assert plotting.near_hole_set(known, window=3).sum() == 34 * 34 - 32 * 32


def test_near_hole_set_brute_force_and_batches():
    known = masks.make_mask(6, seed=1)
    holes = np.pad(~known, 3)
    brute = np.array([[known[r, c] and holes[r:r + 7, c:c + 7].any() for c in range(64)] for r in range(64)])
    np.testing.assert_array_equal(plotting.near_hole_set(known), brute)
    batch = masks.make_masks(1, 3, seed=0)
    np.testing.assert_array_equal(plotting.near_hole_set(batch)[1], plotting.near_hole_set(batch[1]))
    with pytest.raises(ValueError, match="odd"):
        plotting.near_hole_set(known, window=4)


def test_show_masks_black_is_hole_white_is_known():
    six = [masks.make_mask(n, seed=0) for n in masks.PATTERNS]
    figure = plotting.show_masks(six, titles=[f"({n})" for n in masks.PATTERNS])
    assert len(figure.axes) == 6 and figure.axes[2].get_title() == "(3)"
    image = figure.axes[4].images[0]
    np.testing.assert_array_equal(image.get_array(), six[4].astype(float))
    assert image.get_clim() == (0.0, 1.0) and image.get_cmap().name == "gray"


def test_show_sets_draws_the_four_sets_of_fig_2():
    face = np.random.default_rng(0).uniform(-1, 1, (64, 64, 3)).astype(np.float32)
    known = masks.make_mask(5)
    figure = plotting.show_sets(face, known, fill=0.6)
    shown = [ax.images[0].get_array() for ax in figure.axes[:4]]
    grey = (0.6 + 1) / 2
    np.testing.assert_allclose(shown[0], plotting.to_display(face))
    np.testing.assert_allclose(shown[1][known], grey)  # I_M: only the missing pixels
    np.testing.assert_allclose(shown[2][~known], grey)  # I_Mc: only the known pixels
    near = plotting.near_hole_set(known)
    np.testing.assert_allclose(shown[3][near], plotting.to_display(face)[near])
    np.testing.assert_allclose(shown[3][~near], grey)
    assert [ax.get_title().split()[0] for ax in figure.axes[:4]] == ["I_P", "I_M", "I_Mᶜ", "I_S"]


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_show_framing_draws_the_108_box_at_any_scale(scale):
    raw = np.zeros((round(218 * scale), round(178 * scale), 3), np.uint8)
    figure = plotting.show_framing(raw, data.frame_face(raw) * 2 - 1)
    box = figure.axes[0].patches[0]
    assert box.get_width() == pytest.approx(108 * scale) and box.get_height() == pytest.approx(108 * scale)
    assert box.get_x() + 0.5 == pytest.approx((178 * scale - 108 * scale) / 2)


def test_loss_pixel_sets_partition_the_image_and_match_eq4():
    from inpaintkit import losses

    known = masks.make_mask(5)
    sets = plotting.loss_pixel_sets(known)
    content, consensus, inpainting = sets.values()
    np.testing.assert_array_equal(content, losses.content_weights(known)[0])
    np.testing.assert_array_equal(consensus + inpainting, np.ones((64, 64)))  # Eq. 7 and 8 cover P once
    assert ((content > 0) <= (consensus > 0)).all()                          # S ⊂ Mᶜ
    figure = plotting.show_loss_pixel_sets(known, mu=0.66)
    assert [ax.get_title().split("\n")[1] for ax in figure.axes] == [
        f"{(content > 0).mean():.1%} of the pixels", "75.0% of the pixels", "25.0% of the pixels"]
    assert figure.axes[2].images[0].get_array().max() == pytest.approx(0.66)


def test_show_pipeline_draws_five_stages_and_the_images():
    assert len(plotting.show_pipeline().axes) == 5
    images = np.zeros((5, 64, 64, 3), np.float32)
    figure = plotting.show_pipeline(images)
    assert len(figure.axes) == 10 and all(ax.images for ax in figure.axes[5:])


def test_plot_paired_and_effect_sizes():
    figure = plotting.plot_paired([1, 2, 3], [2, 2, 2], baseline=[0.5, 0.5, 0.5])
    assert len(figure.axes[0].lines) >= 4
    figure = plotting.plot_effect_sizes({1: (10.0, 9.0)}, {1: (16.2, 14.04), 5: (15.18, 13.68)})
    labels = [t.get_text() for t in figure.axes[0].texts]
    assert "-10.0" in labels and "-13.3" in labels and "-9.9" in labels


def test_normal_equations_are_banded():
    figure, bandwidth = plotting.show_normal_equations(masks.make_mask(5))
    assert 64 <= bandwidth <= 2 * 64 + 2   # couples pixels at most two image rows apart
