"""The six hole patterns of §3.3 and mask validation."""
from __future__ import annotations

import numpy as np
import pytest
from skimage import io

from inpaintkit import masks

EXPECTED_MISSING = {1: 0.25, 2: 45 * 45 / 4096, 3: (2 * 64 * 20 - 400) / 4096, 4: 0.5, 5: 0.25,
                    6: round(0.7 * 4096) / 4096}


@pytest.mark.parametrize("number", range(1, 7))
def test_missing_fraction(number):
    for seed in range(5):
        known = masks.make_mask(number, seed=seed)
        assert known.shape == (64, 64) and known.dtype == bool
        assert masks.missing_fraction(known) == pytest.approx(EXPECTED_MISSING[number])
        assert masks.pattern(number).missing_fraction == pytest.approx(EXPECTED_MISSING[number])


def test_fixed_patterns_are_where_the_paper_puts_them():
    centre = masks.make_mask(5)
    assert not centre[16:48, 16:48].any() and centre.sum() == 4096 - 1024
    left = masks.make_mask(4)
    assert not left[:, :32].any() and left[:, 32:].all()


def test_random_squares_stay_inside_and_vary_with_the_seed():
    seen = set()
    for seed in range(40):
        hole = ~masks.make_mask(2, seed=seed)
        rows, cols = np.flatnonzero(hole.any(1)), np.flatnonzero(hole.any(0))
        assert len(rows) == len(cols) == 45  # never cut off by the border
        seen.add((rows[0], cols[0]))
    assert len(seen) > 30


def test_stripes_are_one_vertical_and_one_horizontal():
    hole = ~masks.make_mask(3, seed=4)
    assert hole.all(axis=1).sum() == 20 and hole.all(axis=0).sum() == 20
    assert masks.missing_fraction(masks.make_mask(3, seed=0, stripe_width=8)) == pytest.approx(
        (2 * 64 * 8 - 64) / 4096)


def test_seeds_reproduce_and_batches():
    np.testing.assert_array_equal(masks.make_mask(6, seed=3), masks.make_mask(6, seed=3))
    assert not np.array_equal(masks.make_mask(6, seed=3), masks.make_mask(6, seed=4))
    batch = masks.make_masks(1, 5, seed=0)
    assert batch.shape == (5, 64, 64)
    np.testing.assert_array_equal(batch, masks.make_masks(1, 5, seed=0))


def test_names_numbers_and_paper_mu():
    assert [masks.pattern(n).mu for n in range(1, 7)] == [0.66, 0.33, 0.2, 0.33, 0.66, 0.2]
    assert masks.pattern("center").number == 5 and masks.pattern("3").key == "stripes"
    assert masks.parse_patterns("1-6") == [1, 2, 3, 4, 5, 6]
    assert masks.parse_patterns("1,3") == [1, 3]
    with pytest.raises(masks.MaskError, match="unknown hole pattern"):
        masks.pattern(7)


def test_validation_names_the_problem():
    with pytest.raises(masks.MaskError, match="shape"):
        masks.validate_known(np.ones((32, 32), bool))
    with pytest.raises(masks.MaskError, match="only 0/1"):
        masks.validate_known(np.full((64, 64), 2))
    with pytest.raises(masks.MaskError, match="no missing pixel"):
        masks.validate_known(np.ones((64, 64)))
    with pytest.raises(masks.MaskError, match="no known pixel"):
        masks.validate_known(np.zeros((64, 64)))
    with pytest.raises(masks.MaskError, match="3 masks for a batch of 2"):
        masks.validate_known(masks.make_masks(5, 3), batch=2)
    with pytest.raises(masks.MaskError, match="dtype"):
        masks.validate_known(np.full((64, 64), "a"))
    ok = masks.validate_known(masks.make_mask(5).astype(np.uint8))
    assert ok.dtype == bool


def test_mask_from_png_white_is_known(tmp_path):
    known = masks.make_mask(2, seed=1)
    path = tmp_path / "mask.png"
    io.imsave(path, (known * 255).astype(np.uint8), check_contrast=False)
    np.testing.assert_array_equal(masks.mask_from_png(path), known)
    big = np.kron(known, np.ones((2, 2), bool))
    io.imsave(tmp_path / "big.png", (big * 255).astype(np.uint8), check_contrast=False)
    np.testing.assert_array_equal(masks.mask_from_png(tmp_path / "big.png"), known)
    with pytest.raises(masks.MaskError, match="does not exist"):
        masks.mask_from_png(tmp_path / "absent.png")
