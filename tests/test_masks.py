"""The six hole patterns of §3.3 and mask validation."""
from __future__ import annotations

import numpy as np
import pytest
from skimage import io

from inpaintkit import masks
from inpaintkit.errors import InputError

EXPECTED_MISSING = {1: 0.25, 2: 45 * 45 / 4096, 3: (2 * 64 * 20 - 400) / 4096, 4: 0.5, 5: 0.25,
                    6: round(0.7 * 4096) / 4096}


@pytest.mark.parametrize("number", range(1, 7))
def test_missing_fraction(number):
    for seed in range(5):
        known = masks.make_mask(number, seed=seed)
        assert known.shape == (64, 64) and known.dtype == bool
        assert masks.missing_fraction(known) == pytest.approx(EXPECTED_MISSING[number])
        assert masks.pattern(number).missing_fraction == pytest.approx(EXPECTED_MISSING[number])


def test_exact_pixel_counts():
    assert (~masks.make_mask(1, seed=0)).sum() == 32 * 32
    assert (~masks.make_mask(2, seed=0)).sum() == 45 * 45
    assert (~masks.make_mask(6, seed=0)).sum() == round(0.7 * 4096) == 2867


def test_fixed_patterns_are_where_the_paper_puts_them():
    centre = masks.make_mask(5)
    expected = np.ones((64, 64), bool)
    expected[16:48, 16:48] = False  # exactly the central 32×32
    np.testing.assert_array_equal(centre, expected)
    np.testing.assert_array_equal(masks.make_mask(5, seed=1), centre)  # not random
    left = masks.make_mask(4)
    assert not left[:, :32].any() and left[:, 32:].all()


@pytest.mark.parametrize("number,side", [(1, 32), (2, 45)])
def test_random_squares_stay_inside_and_vary_with_the_seed(number, side):
    seen = set()
    for seed in range(40):
        hole = ~masks.make_mask(number, seed=seed)
        rows, cols = np.flatnonzero(hole.any(1)), np.flatnonzero(hole.any(0))
        assert len(rows) == len(cols) == side  # never cut off by the border
        assert hole[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].all()  # one solid square
        seen.add((rows[0], cols[0]))
    assert len(seen) > 30


def test_stripes_are_one_vertical_and_one_horizontal():
    hole = ~masks.make_mask(3, seed=4)
    assert hole.all(axis=1).sum() == 20 and hole.all(axis=0).sum() == 20
    assert masks.missing_fraction(masks.make_mask(3, seed=0, stripe_width=8)) == pytest.approx(
        (2 * 64 * 8 - 64) / 4096)


@pytest.mark.parametrize("number", [1, 2, 3, 6])
def test_same_seed_same_mask(number):
    np.testing.assert_array_equal(masks.make_mask(number, seed=3), masks.make_mask(number, seed=3))
    assert not np.array_equal(masks.make_mask(number, seed=3), masks.make_mask(number, seed=4))


def test_batches():
    batch = masks.make_masks(1, 5, seed=0)
    assert batch.shape == (5, 64, 64) and batch.dtype == bool
    np.testing.assert_array_equal(batch, masks.make_masks(1, 5, seed=0))
    assert len({m.tobytes() for m in batch}) > 1  # the masks of a batch differ
    np.testing.assert_allclose(masks.missing_fraction(masks.make_masks(6, 3)), [2867 / 4096] * 3)
    assert masks.broadcast_masks(masks.make_mask(5), 4).shape == (4, 64, 64)


def test_names_numbers_and_paper_mu():
    assert [masks.pattern(n).mu for n in range(1, 7)] == [0.66, 0.33, 0.2, 0.33, 0.66, 0.2]
    assert masks.pattern("center").number == 5 and masks.pattern("3").key == "stripes"
    assert masks.parse_patterns("1-6") == [1, 2, 3, 4, 5, 6]
    assert masks.parse_patterns("1,3") == [1, 3]
    assert masks.parse_patterns(" 5 ") == [5] and masks.parse_patterns("1-2,5") == [1, 2, 5]
    with pytest.raises(masks.MaskError, match="unknown hole pattern"):
        masks.pattern(7)
    with pytest.raises(masks.MaskError, match="unknown hole pattern 7"):
        masks.parse_patterns("5-7")
    for text in ("x", "6-1", "1-"):
        with pytest.raises(masks.MaskError, match="write patterns as"):
            masks.parse_patterns(text)
    with pytest.raises(masks.MaskError, match="no pattern"):
        masks.parse_patterns("")


def test_validation_names_the_problem():
    with pytest.raises(masks.MaskError, match="shape"):
        masks.validate_known(np.ones((32, 32), bool))
    with pytest.raises(masks.MaskError, match="shape"):
        masks.validate_known(np.ones((2, 2, 64, 64), bool))
    with pytest.raises(masks.MaskError, match="only 0/1"):
        masks.validate_known(np.arange(4096).reshape(64, 64) % 3)  # values 0, 1 and 2
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
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(masks.MaskError, match="cannot read mask file"):
        masks.mask_from_png(tmp_path / "junk.png")


def test_mask_from_png_other_encodings(tmp_path):
    """16-bit, grey + alpha, RGBA and 1-bit PNGs all read as white = known."""
    from PIL import Image

    known = masks.make_mask(3, seed=2)
    io.imsave(tmp_path / "16bit.png", (known * 40000).astype(np.uint16), check_contrast=False)
    io.imsave(tmp_path / "grey16.png", np.where(known, 60000, 20000).astype(np.uint16), check_contrast=False)
    Image.fromarray(np.stack([known * 255, np.full(known.shape, 255)], -1).astype(np.uint8), "LA").save(
        tmp_path / "la.png")
    io.imsave(tmp_path / "rgba.png", np.dstack([known * 255] * 3 + [np.full(known.shape, 255)]).astype(np.uint8),
              check_contrast=False)
    Image.fromarray(known).save(tmp_path / "1bit.png")
    for name in ("16bit.png", "grey16.png", "la.png", "rgba.png", "1bit.png"):
        np.testing.assert_array_equal(masks.mask_from_png(tmp_path / name), known, err_msg=name)


# ----------------------------------------------------------------------------- reading mask images
def save(array, path, mode=None, **options):
    from PIL import Image

    Image.fromarray(np.asarray(array), mode).save(path, **options) if mode else Image.fromarray(np.asarray(array)).save(
        path, **options)
    return path


def test_read_mask_black_and_white_needs_no_note(tmp_path):
    known = masks.make_mask(1, seed=3)
    drawn, notes = masks.read_mask(save((known * 255).astype(np.uint8), tmp_path / "bw.png"))
    np.testing.assert_array_equal(drawn, known)
    assert notes == []


def test_grey_levels_below_half_are_holes_with_a_note(tmp_path):
    """An anti-aliased brush leaves grey edges: darker than 50 % is a hole, and the note says so."""
    grey = np.full((64, 64), 255, np.uint8)
    grey[20:30, 10:50] = 0
    grey[19, 10:50] = 100   # a dark edge: hole
    grey[30, 10:50] = 200   # a light edge: known
    drawn, notes = masks.read_mask(save(grey, tmp_path / "grey.png"))
    assert not drawn[19:30, 10:50].any() and drawn[30, 10:50].all() and drawn[18].all()
    assert len(notes) == 1 and "darker than 50 % read as hole" in notes[0] and "2.0% of the pixels are grey" in notes[0]


def test_transparent_pixels_are_holes_with_a_note(tmp_path):
    """An eraser leaves alpha 0: read as a hole (and a black pixel still is one)."""
    rgba = np.full((64, 64, 4), 255, np.uint8)
    rgba[10:20, 10:30, 3] = 0        # erased: hole, though its colour is white
    rgba[40:50, 40:60, :3] = 0       # painted black, opaque: hole
    rgba[30:35, :, 3] = 200          # 78 % opaque: known
    drawn, notes = masks.read_mask(save(rgba, tmp_path / "rgba.png"))
    assert not drawn[10:20, 10:30].any() and not drawn[40:50, 40:60].any() and drawn[30:35].all()
    assert drawn.sum() == 64 * 64 - 200 - 200
    assert any("transparent read as hole (4.9% of the pixels)" in note for note in notes)
    la = np.stack([np.full((64, 64), 255, np.uint8), rgba[..., 3]], -1)
    drawn_la, notes_la = masks.read_mask(save(la, tmp_path / "la.png", "LA"))
    np.testing.assert_array_equal(drawn_la, rgba[..., 3] >= 128)
    assert any("transparent" in note for note in notes_la)


def test_palette_with_transparency_and_coloured_strokes(tmp_path):
    from PIL import Image

    known = masks.make_mask(5)
    palette = Image.fromarray(np.where(known, 1, 0).astype(np.uint8), "P")
    palette.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    palette.info["transparency"] = 0  # index 0 (the hole) is also transparent
    palette.save(tmp_path / "palette.png", transparency=0)
    drawn, notes = masks.read_mask(tmp_path / "palette.png")
    np.testing.assert_array_equal(drawn, known)
    red = np.full((64, 64, 3), 255, np.uint8)
    red[~known] = (255, 0, 0)  # strokes in red: brightness 0.21, a hole
    drawn, notes = masks.read_mask(save(red, tmp_path / "red.png"))
    np.testing.assert_array_equal(drawn, known)
    assert "colours read by their brightness" in notes


def test_exif_orientation_of_a_mask_is_applied(tmp_path):
    from PIL import Image

    known = np.ones((40, 64), bool)
    known[5:15, 2:20] = False
    exif = Image.Exif()
    exif[0x0112] = 6  # stored on its side: shown turned 90° clockwise
    save((np.rot90(known, 1) * 255).astype(np.uint8), tmp_path / "side.png", exif=exif.tobytes())
    drawn, notes = masks.read_mask(tmp_path / "side.png")
    np.testing.assert_array_equal(drawn, known)
    assert "turned upright (EXIF orientation)" in notes


def test_a_mask_is_never_stretched_onto_the_face(tmp_path):
    known = masks.make_mask(1, seed=5)
    same, notes = masks.face_mask(known)
    np.testing.assert_array_equal(same, known)
    assert notes == []
    big, notes = masks.face_mask(np.kron(known, np.ones((4, 4), bool)), name="canvas.png")
    np.testing.assert_array_equal(big, known)
    assert notes == ["canvas.png is 256×256; resized to 64×64 (nearest neighbour): read as the face drawn 4× larger"]
    for shape in ((100, 80), (96, 96), (64, 128)):
        with pytest.raises(masks.MaskError, match=rf"is {shape[1]}×{shape[0]}, not the 64×64 face .*draw it on the"):
            masks.face_mask(np.ones(shape, bool))
    save(np.full((80, 100), 255, np.uint8), tmp_path / "odd.png")
    with pytest.raises(masks.MaskError, match="odd.png is 100×80"):
        masks.mask_from_png(tmp_path / "odd.png")


@pytest.mark.parametrize("which,params", [(5, {"square": 100}), (5, {"square": 0}), (5, {"square": -10}),
                                          (1, {"square": 64}), (2, {"big_square": 0}), (3, {"stripe_width": 64}),
                                          (6, {"missing": 1e-9}), (6, {"missing": 0.99999}), (6, {"missing": 0.0})])
def test_pattern_parameters_that_leave_no_hole_or_no_known_pixel_are_refused(which, params):
    """A hole larger than the face, of no size, or a fraction that rounds to nothing is named, never
    turned into a corner hole or an empty mask."""
    with pytest.raises(masks.MaskError, match="must"):
        masks.make_mask(which, 0, **params)


@pytest.mark.parametrize("which", [True, False, 0, 7, 2.0, "seven", None])
def test_a_pattern_is_a_number_1_to_6_or_its_name(which):
    with pytest.raises(masks.MaskError, match="unknown hole pattern"):
        masks.pattern(which)


def test_counts_and_seeds_of_masks_are_named():
    with pytest.raises(InputError, match="seed must be"):
        masks.make_mask(1, seed=-1)
    with pytest.raises(InputError, match="count must be"):
        masks.make_masks(1, 0)
    with pytest.raises(InputError, match="seed must be"):
        masks.make_masks(1, 2, seed=1.5)
