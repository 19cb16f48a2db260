"""Framing your own photo like CelebA (inpaintkit.faces), odd photo files, the built-in
portraits, and the mouse strokes → mask function."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from inpaintkit import data, faces, masks

PORTRAIT_IDS = [entry["id"] for entry in json.loads((data.PORTRAITS_DIR / "manifest.json").read_text())["faces"]]


@pytest.fixture(scope="module")
def portrait():
    photo, name = data.sample_photo(0)
    return photo


def encode(array_or_image, fmt: str = "JPEG", **options) -> bytes:
    image = array_or_image if isinstance(array_or_image, Image.Image) else Image.fromarray(array_or_image)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def mean_error(a, b) -> float:
    return float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).mean())


# ----------------------------------------------------------------------------- reading odd photos
def test_cmyk_jpeg_keeps_its_colours(portrait, tmp_path):
    """A CMYK JPEG used to load as 'RGB + alpha' with wrong colours; now it is converted."""
    path = tmp_path / "cmyk.jpg"
    path.write_bytes(encode(Image.fromarray(portrait).convert("CMYK"), quality=95))
    image, note = data.read_rgb(path)
    assert note == "CMYK converted to RGB"
    assert image.shape == portrait.shape and mean_error(image, portrait) < 3


def test_load_celeba_converts_cmyk_without_an_alpha_note(portrait, tmp_path):
    folder = tmp_path / "set" / "img_align_celeba"
    folder.mkdir(parents=True)
    (folder / "000001.jpg").write_bytes(encode(Image.fromarray(portrait).convert("CMYK"), quality=95))
    (folder / "000002.jpg").write_bytes(encode(portrait, quality=95))
    with pytest.warns(UserWarning, match="000001.jpg: CMYK converted to RGB"):
        loaded = data.load_celeba(tmp_path / "set", "all", progress=False, cache=False)
    assert mean_error(loaded[0], loaded[1]) < 0.02  # same colours as the RGB copy (in [−1, 1])


def test_exif_orientation_is_honoured(portrait):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": the stored pixels lie on their side
    stored = np.rot90(portrait, 1)  # what a phone stores for a photo taken upright, turned
    image, note = data.read_rgb(encode(stored, quality=95, exif=exif.tobytes()))
    assert "EXIF orientation" in note and image.shape == portrait.shape
    assert mean_error(image, portrait) < 3
    upright = faces.frame_photo(portrait)
    turned = faces.frame_photo(encode(stored, quality=95, exif=exif.tobytes()), name="phone.jpg")
    # The cascade's box jitters with the pixels (JPEG re-encoding): IoU 0.88 median on CelebA.
    assert turned.crop.iou(upright.crop) > 0.75


def test_grayscale_8_and_16_bit(portrait):
    grey = (portrait.mean(axis=-1)).astype(np.uint8)
    for stored in (grey, grey.astype(np.uint16) * 257):
        image, note = data.read_rgb(encode(stored, "PNG"))
        assert note == "grayscale" and image.shape == portrait.shape and image.dtype == np.uint8
        np.testing.assert_array_equal(image[..., 0], grey)
        np.testing.assert_array_equal(image[..., 1], image[..., 2])
    framed = faces.frame_photo(encode(grey, "PNG"), name="grey.png")
    assert framed.notes == ["grayscale"] and np.allclose(framed.face[..., 0], framed.face[..., 2])


def test_png_with_alpha_is_flattened_onto_white(portrait):
    rgba = np.dstack([portrait, np.full(portrait.shape[:2], 255, np.uint8)])
    rgba[:20, :, 3] = 0  # a transparent band at the top
    image, note = data.read_rgb(encode(rgba, "PNG"))
    assert note == "transparency flattened onto white"
    assert (image[:20] == 255).all()
    np.testing.assert_array_equal(image[20:], portrait[20:])
    opaque, note = data.read_rgb(encode(np.dstack([portrait, np.full(portrait.shape[:2], 255, np.uint8)]), "PNG"))
    assert note == "alpha channel dropped (fully opaque)"
    np.testing.assert_array_equal(opaque, portrait)


def test_huge_photo_is_downscaled_first_and_framed_alike(portrait):
    """The portrait pasted, 12× enlarged, in a 4000 × 4200 photo: read at ≤ 2048 px, same framing."""
    big = np.asarray(Image.fromarray(portrait).resize((portrait.shape[1] * 12, portrait.shape[0] * 12)))
    canvas = np.full((4200, 4000, 3), 200, np.uint8)
    canvas[500:500 + big.shape[0], 600:600 + big.shape[1]] = big[:3700, :3400]
    framed = faces.frame_photo(encode(canvas, quality=90), name="huge.jpg")
    assert framed.notes[0] == "downscaled from 4000×4200" and max(framed.photo.shape) <= faces.READ_SIDE
    small = faces.frame_photo(portrait)
    f = framed.photo.shape[0] / 4200  # the read downscaled the photo by f; the portrait sits 12× at (600, 500)
    back = faces.Box((framed.crop.left / f - 600) / 12, (framed.crop.top / f - 500) / 12, framed.crop.side / f / 12)
    assert back.iou(small.crop) > 0.75  # the same face, framed alike (the cascade's box jitters a little)


def test_unreadable_and_missing_files_are_named(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not a jpeg")
    with pytest.raises(data.DataError, match="cannot read image .*broken.jpg"):
        faces.frame_photo(broken)
    with pytest.raises(data.DataError, match="absent.png does not exist"):
        faces.frame_photo(tmp_path / "absent.png")


# ----------------------------------------------------------------------------- detection
def test_no_face_is_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / "wall.png"
    path.write_bytes(encode(np.random.default_rng(0).integers(90, 110, (300, 300, 3), dtype=np.uint8), "PNG"))
    with pytest.raises(faces.FaceError, match=r"no face found in .*wall\.png"):
        faces.frame_photo(path)


def test_several_faces_take_the_largest_with_a_note(portrait):
    from skimage.transform import rescale

    other, _ = data.sample_photo(5)
    smaller = (rescale(other, 0.6, channel_axis=-1, anti_aliasing=True) * 255).astype(np.uint8)
    group = np.full((portrait.shape[0] + 40, portrait.shape[1] + smaller.shape[1] + 60, 3), 230, np.uint8)
    group[20:20 + portrait.shape[0], 20:20 + portrait.shape[1]] = portrait
    group[60:60 + smaller.shape[0], 40 + portrait.shape[1]:40 + portrait.shape[1] + smaller.shape[1]] = smaller
    framed = faces.frame_photo(group, name="two people")
    assert framed.faces_found >= 2 and any("largest is used" in n for n in framed.notes)
    cx, cy = framed.box.centre
    assert 20 < cx < 20 + portrait.shape[1] and 20 < cy < 20 + portrait.shape[0]  # the larger face
    assert framed.box.side > smaller.shape[1] * 0.7


def test_framing_matches_celeba_on_validation_crops(celeba_root):
    """Validation faces 100-159 (never the evaluation's 0-99), each cut by the framing, against the
    true central 108×108: within the bound measured on faces 100-779, with a margin."""
    from skimage.transform import resize

    truth = faces.celeba_crop_box(*data.ORIGINAL_SIZE)
    centre, iou, missed = [], [], 0
    for path in data.list_images(celeba_root, "validation", 160)[100:]:
        image, _ = data.read_rgb(path)
        image = (resize(image, (218, 178), anti_aliasing=True) * 255).astype(np.uint8)
        boxes = faces.detect_faces(image)
        if not boxes:
            missed += 1
            continue
        crop = faces.crop_for_box(boxes[0])
        centre.append(np.hypot(crop.centre[0] - truth.centre[0], crop.centre[1] - truth.centre[1]) * 64 / truth.side)
        iou.append(crop.iou(truth))
    measured = faces.FRAMING_ERROR
    assert missed <= 60 * measured["missed"] / (measured["detected"] + measured["missed"]) + 4
    assert np.median(centre) < measured["centre_px_median"] + 1.0   # measured 1.51 px at 64 × 64
    assert np.percentile(centre, 90) < measured["centre_px_p95"] + 2.0
    assert np.median(iou) > measured["iou_median"] - 0.05           # measured 0.883


# ----------------------------------------------------------------------------- built-in portraits
def test_builtin_faces_are_the_framed_portraits():
    shipped = data.sample_faces()
    assert len(shipped) == len(PORTRAIT_IDS) >= 24
    assert shipped.dtype == np.float32 and shipped.min() >= -1 and shipped.max() <= 1
    assert len({face.tobytes() for face in shipped}) == len(shipped)  # all different faces
    np.testing.assert_array_equal(data.sample_faces(3), shipped[:3])
    # The stored crop is what the framing finds on the shipped photo (up to the cascade's jitter:
    # the boxes were found on the original files, shipped re-encoded), and the face is its cut.
    entries = data._portraits()
    for index in (0, len(PORTRAIT_IDS) // 2):
        photo, name = data.sample_photo(index)
        stored = faces.Box(*entries[index]["crop"])
        assert faces.frame_photo(photo, name=name).crop.iou(stored) > 0.75
        np.testing.assert_array_equal(shipped[index], data.to_unit_range(data.to_uint8(faces.cut_square(photo, stored) * 2 - 1)))
    credits = (data.PORTRAITS_DIR / "README.md").read_text()
    assert "public domain" in credits.lower() and "unitedstates/images" in credits
    size = sum(p.stat().st_size for p in data.PORTRAITS_DIR.iterdir())
    assert size < 2_000_000


def test_example_raw_image_frames_to_the_first_builtin_face(monkeypatch):
    monkeypatch.delenv("INPAINTKIT_DATA", raising=False)
    raw = data.example_raw_image()
    assert raw.shape == (218, 178, 3) and raw.dtype == np.uint8
    assert mean_error(data.frame_face(raw) * 2 - 1, data.sample_faces(1)[0]) < 0.05


# ----------------------------------------------------------------------------- strokes → mask
def test_a_stroke_paints_a_hole_along_its_path():
    known = masks.mask_from_strokes([([(10, 20), (30, 20)], 2.0, False)])
    assert not known[20, 10:30].any() and not known[19, 15] and known[20, 35] and known[25, 20]
    assert known[17, 20] and not known[18, 20]  # centre 18.5 is 1.5 px from the line y = 20
    assert (~known).sum() == pytest.approx(20 * 4 + np.pi * 4, rel=0.15)


def test_a_fast_stroke_leaves_no_gap_and_a_dot_is_a_disc():
    known = masks.mask_from_strokes([([(2, 2), (60, 60)], 1.0, False)])
    assert all(not known[i, i] for i in range(2, 60))
    dot = masks.mask_from_strokes([([(32, 32)], 3.0, False)])
    assert (~dot).sum() == 32  # pixel centres (i + ½) within 3 px of (32, 32): 8 per quadrant


def test_erase_strokes_restore_known_pixels_in_order():
    start = masks.make_mask(5)
    erased = masks.mask_from_strokes([([(16, 32), (48, 32)], 3.0, True)], start=start)
    assert erased[32, 20:44].all() and not erased[20, 30]
    again = masks.mask_from_strokes([([(16, 32), (48, 32)], 3.0, True), ([(32, 32)], 2.0, False)], start=start)
    assert not again[32, 32] and again[32, 20]
    np.testing.assert_array_equal(start, masks.make_mask(5))  # the start mask is not changed


def test_stroke_mask_feeds_the_validator_and_bad_strokes_are_named():
    assert masks.mask_from_strokes([]).all()  # nothing drawn yet: no hole
    with pytest.raises(masks.MaskError, match="no missing pixel"):
        masks.validate_known(masks.mask_from_strokes([]))
    with pytest.raises(masks.MaskError, match="stroke 0: brush radius"):
        masks.mask_from_strokes([([(1, 1)], 0, False)])
    with pytest.raises(masks.MaskError, match="stroke 1 must be"):
        masks.mask_from_strokes([([(1, 1)], 1, False), "oops"])
    with pytest.raises(masks.MaskError, match="start mask"):
        masks.mask_from_strokes([], start=np.ones((32, 32), bool))


# ----------------------------------------------------------------------------- notebook 07's widget
def test_own_face_demo_runs_the_pipeline_on_a_drawn_hole(small_models):
    G, D = small_models
    face = data.sample_faces(1)[0]
    known = masks.mask_from_strokes([([(20, 26), (28, 26)], 3.0, False)])  # over the left eye
    demo = widgets_module().own_face_demo(face, known, steps=2, seed=1, G=G, D=D, progress=False)
    result = demo["result"]
    np.testing.assert_allclose(result.x[0][known], face[known], atol=1e-5)  # blended: known pixels kept
    assert set(demo["metrics"]) == {"before", "after"}
    assert set(demo["metrics"]["after"]) == {"MAE", "MSE", "PSNR", "MSSIM"}
    assert demo["mu"] == pytest.approx(0.66) and demo["png"].startswith(b"\x89PNG")
    with pytest.raises(masks.MaskError, match="no missing pixel"):
        widgets_module().own_face_demo(face, masks.mask_from_strokes([]), steps=2, G=G, D=D, progress=False)


def widgets_module():
    from inpaintkit import widgets

    return widgets


def test_a_photo_gets_the_same_result_alone_or_in_a_batch(small_models):
    """Each face starts from the seed's z, so its place in a batch does not change its result."""
    G, D = small_models
    batch = data.sample_faces(3)
    known = masks.make_mask(5)
    together = faces.inpaint_own_faces(batch, known, steps=3, seed=4, G=G, D=D, progress=False)
    alone = faces.inpaint_own_faces(batch[2], known, steps=3, seed=4, G=G, D=D, progress=False)
    np.testing.assert_allclose(together.x[2], alone.x[0], atol=1e-4)


def test_framed_from_upload_reads_a_file_upload_value(portrait):
    upload = ({"name": "me.jpg", "type": "image/jpeg", "size": 1, "content": memoryview(encode(portrait))},)
    framed = widgets_module().framed_from_upload(upload)
    assert framed.source == "me.jpg" and framed.face.shape == (64, 64, 3)
    with pytest.raises(ValueError, match="no photo uploaded"):
        widgets_module().framed_from_upload(())


def test_own_face_studio_builds_headless_and_draws_with_the_mouse(small_models):
    import matplotlib.pyplot as plt

    G, D = small_models
    studio = widgets_module().own_face_studio(G, D)
    state, handlers = studio.state, studio.handlers
    assert state["framed"] is not None and state["framed"].source.startswith("built-in portrait")
    handlers["down"](80.0, 104.0)  # canvas pixels, 4× the face: (20, 26) on the face
    handlers["move"](112.0, 104.0)
    handlers["up"](112.0, 104.0)
    known = masks.mask_from_strokes(state["strokes"], state["start"])
    assert not known[26, 20:28].any() and known[60, 60]  # the studio opens with the centre hole (16-48)
    studio.children[3].children[1].value = 2  # steps
    handlers["run"](None)
    assert state["demo"] is not None and "data:image/png;base64," in studio.children[-1].value
    handlers["clear"](None)
    assert masks.mask_from_strokes(state["strokes"], state["start"]).all()
    handlers["pattern"](None)
    np.testing.assert_array_equal(masks.mask_from_strokes(state["strokes"], state["start"]), masks.make_mask(5))
    plt.close("all")
