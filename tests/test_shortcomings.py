"""§1.4 measured: consensus, D's view, colour gaps, picking cases by numbers."""
from __future__ import annotations

import numpy as np
import pytest

from inpaintkit import dcgan, masks, shortcomings


def test_consensus_error_counts_only_known_pixels():
    y = np.full((1, 64, 64, 3), -0.5, np.float32)  # grey level 63.75
    x = y.copy()
    known = masks.make_mask(4)
    x[0][~known] = 1.0                      # wrong only in the hole: no consensus error
    assert shortcomings.consensus_error(x, y, known)[0] == 0.0
    x[0][known] = -1.0 + 2 * 10 / 255       # grey level 10 on the known half
    assert shortcomings.consensus_error(x, y, known)[0] == pytest.approx(63.75 - 10, abs=1e-3)


def test_band_agreement_separates_near_and_far():
    y = np.full((1, 64, 64, 3), -0.5, np.float32)
    x = np.zeros_like(y)
    known = masks.make_mask(5)
    seen = np.zeros((64, 64), bool)
    seen[13:51, 13:51] = True
    x[0][seen] = -0.5                       # agrees exactly in the band (and the hole)
    near, far = shortcomings.band_agreement(x, y, known)
    assert near[0] == 0.0 and far[0] == pytest.approx(0.5 * 127.5, rel=1e-4)


def test_mirror_gap_is_zero_for_a_symmetric_face_and_nan_without_mirror():
    rng = np.random.default_rng(0)
    half = rng.uniform(-1, 1, (1, 64, 32, 3)).astype(np.float32)
    face = np.concatenate([half, half[:, :, ::-1]], axis=2)
    assert shortcomings.mirror_color_gap(face, masks.make_mask(4))[0] == pytest.approx(0, abs=1e-9)
    assert np.isnan(shortcomings.mirror_color_gap(face, masks.make_mask(5))[0])


def test_edge_colour_gap_sees_a_colour_step_at_the_hole():
    face = np.full((1, 64, 64, 3), -0.5, np.float32)
    known = masks.make_mask(5)
    assert shortcomings.edge_color_gap(face, known)[0] == 0.0
    face[0][~known] = -0.3
    assert shortcomings.edge_color_gap(face, known)[0] == pytest.approx(np.sqrt(3) * 0.2 * 127.5, rel=1e-4)


def test_discriminator_view_and_pick_cases():
    D = dcgan.build_discriminator(8)
    images = np.random.default_rng(0).uniform(-1, 1, (3, 64, 64, 3)).astype(np.float32)
    view = shortcomings.discriminator_view(D, images, images)
    np.testing.assert_allclose(view["gap"], 0.0)
    before = {"m": np.array([5.0, 1.0, np.nan, 9.0])}
    after = {"m": np.array([1.0, 1.0, 0.0, 8.0])}
    assert list(shortcomings.pick_cases(before, after, "m", 2)) == [0, 3]
    assert list(shortcomings.pick_cases(before, after, "m", 1, largest_gain=False)) == [1]


def test_measures_table_reads_before_and_after_means():
    before = {key: np.array([1.0, 3.0]) for key in shortcomings.MEASURES}
    after = {key: np.array([0.0, 1.0]) for key in shortcomings.MEASURES}
    after["mirror_color_gap"] = np.array([np.nan, np.nan])
    cells = shortcomings.before_after(before, after)
    assert cells["consensus"] == "2.0 → 0.5" and cells["d_gap"] == "2.000 → 0.500"
    assert cells["mirror_color_gap"] == "–"
    table = shortcomings.measures_table(before, after).splitlines()
    assert len(table) == len(shortcomings.MEASURES) and table[0].endswith("2.0 → 0.5")
