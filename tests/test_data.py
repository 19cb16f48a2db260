"""The CelebA loader: framing at any scale, partitions, cache, fallback and bad input."""
from __future__ import annotations

import shutil
import time

import numpy as np
import pytest
from skimage import io
from skimage.transform import rescale

from inpaintkit import data

FULL_SIZE_ID = "010025.jpg"  # 178×218 in the shared subset


def make_folder(tmp_path, files: dict) -> "Path":
    folder = tmp_path / "celeba" / "img_align_celeba"
    folder.mkdir(parents=True)
    for name, image in files.items():
        if isinstance(image, bytes):
            (folder / name).write_bytes(image)
        else:
            io.imsave(folder / name, image, check_contrast=False)
    return folder.parent


def test_same_face_from_a_full_and_a_half_size_copy(celeba_root, tmp_path):
    full = io.imread(celeba_root / "img_align_celeba" / FULL_SIZE_ID)
    assert full.shape == (218, 178, 3)
    half = np.rint(rescale(full, 0.5, anti_aliasing=True, channel_axis=-1) * 255).astype(np.uint8)
    assert half.shape == (109, 89, 3)
    a = data.frame_face(full) * 2 - 1
    b = data.frame_face(half) * 2 - 1
    same = np.abs(a - b).mean()
    # The half-size copy lost detail (about 4 grey levels on average), but the framing is the same:
    # the full-size crop displaced by only 2 original pixels differs several times more.
    shifted = data.frame_face(np.roll(full, 2, axis=(0, 1))) * 2 - 1
    assert same < 0.05
    assert np.abs(a - shifted).mean() > 2.5 * same


def test_loader_output_and_partitions(celeba_root):
    train = data.list_images(celeba_root, "train", 5)
    validation = data.list_images(celeba_root, "validation", 5)
    assert [p.name for p in train] == [f"{i:06d}.jpg" for i in range(1, 6)]
    assert all(int(p.stem) >= 162771 for p in validation)
    assert len(data.list_images(celeba_root, "validation")) == 780
    faces = data.load_celeba(celeba_root, "validation", 6, progress=False)
    assert faces.shape == (6, 64, 64, 3) and faces.dtype == np.float32
    assert faces.min() >= -1 and faces.max() <= 1 and faces.std() > 0.1


def test_partitions_from_id_ranges_without_the_partition_file(celeba_root, tmp_path):
    names = ["000001.jpg", "162862.jpg"]
    root = make_folder(tmp_path, {})
    for name in names:
        shutil.copy(celeba_root / "img_align_celeba" / name, root / "img_align_celeba" / name)
    assert [p.name for p in data.list_images(root, "train")] == ["000001.jpg"]
    assert [p.name for p in data.list_images(root, "val")] == ["162862.jpg"]
    with pytest.raises(data.DataError, match="no image of the test partition"):
        data.list_images(root, "test")


def test_cache_is_fast_identical_and_rebuilt_when_a_file_changes(celeba_root, tmp_path):
    root = make_folder(tmp_path, {})
    for i in range(1, 41):
        shutil.copy(celeba_root / "img_align_celeba" / f"{i:06d}.jpg", root / "img_align_celeba")
    began = time.perf_counter()
    first = data.load_celeba(root, "all", progress=False)
    cold = time.perf_counter() - began
    began = time.perf_counter()
    second = data.load_celeba(root, "all", progress=False)
    warm = time.perf_counter() - began
    np.testing.assert_array_equal(first, second)
    assert warm < cold
    changed = root / "img_align_celeba" / "000001.jpg"
    io.imsave(changed, np.zeros((109, 89, 3), np.uint8), check_contrast=False)
    third = data.load_celeba(root, "all", progress=False)
    assert third[0].max() == -1.0 and np.array_equal(third[1:], first[1:])


def test_bad_input_is_named(tmp_path):
    with pytest.raises(data.DataError, match="does not exist"):
        data.list_images(tmp_path / "absent")
    (tmp_path / "plain").mkdir()
    with pytest.raises(data.DataError, match="img_align_celeba"):
        data.list_images(tmp_path / "plain")
    empty = make_folder(tmp_path, {})
    with pytest.raises(data.DataError, match="no image files"):
        data.list_images(empty)
    with pytest.raises(data.DataError, match="unknown partition 'dev'"):
        data.list_images(empty, "dev")


def test_corrupt_files_are_skipped_and_grayscale_converted_with_counted_warnings(tmp_path):
    rng = np.random.default_rng(0)
    root = make_folder(tmp_path, {
        "000001.jpg": rng.integers(0, 255, (109, 89, 3), dtype=np.uint8),
        "000002.jpg": b"\xff\xd8 this is not a jpeg",
        "000003.png": rng.integers(0, 255, (109, 89), dtype=np.uint8),
    })
    with pytest.warns(UserWarning) as caught:
        faces = data.load_celeba(root, "train", progress=False)
    messages = " ".join(str(w.message) for w in caught)
    assert "skipped 1 unreadable file(s) of 3" in messages and "converted 1 file(s)" in messages
    assert faces.shape == (2, 64, 64, 3)
    grey = faces[1]
    np.testing.assert_array_equal(grey[..., 0], grey[..., 1])
    only_bad = make_folder(tmp_path / "bad", {"000001.jpg": b"junk"})
    with pytest.raises(data.DataError, match="none of the 1 file"):
        with pytest.warns(UserWarning):
            data.load_celeba(only_bad, progress=False)


def test_environment_variable_and_fallback(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("INPAINTKIT_DATA", raising=False)
    monkeypatch.setattr(data, "_SAMPLE_NOTICE_SHOWN", False)
    assert data.celeba_root() is None
    faces = data.load_faces("validation", 3)
    assert faces.shape == (3, 64, 64, 3) and faces.min() >= -1 and faces.max() <= 1
    data.load_faces("validation", 2)
    assert capsys.readouterr().out.count("INPAINTKIT_DATA is not set") == 1
    np.testing.assert_array_equal(faces[1], faces[0][:, ::-1])  # the mirror image
    monkeypatch.setenv("INPAINTKIT_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(data.DataError, match="does not exist"):
        data.load_faces("validation", 2)


def test_train_dataset_is_seeded_and_resumable():
    images = np.arange(10 * 64 * 64 * 3, dtype=np.float32).reshape(10, 64, 64, 3) / 1e6
    first = [b.numpy() for b in data.train_dataset(images, 4, seed=1, epoch=0)]
    again = [b.numpy() for b in data.train_dataset(images, 4, seed=1, epoch=0)]
    other = [b.numpy() for b in data.train_dataset(images, 4, seed=1, epoch=1)]
    assert len(first) == 2 and first[0].shape == (4, 64, 64, 3)
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[0], other[0])
    rest = [b.numpy() for b in data.train_dataset(images, 4, seed=1, epoch=0, skip_batches=1)]
    np.testing.assert_array_equal(rest[0], first[1])
    with pytest.raises(data.DataError, match="fewer than one batch"):
        data.train_dataset(images[:3], 4)
