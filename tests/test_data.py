"""The CelebA loader (§3.1): framing at any scale, partitions, order, cache, fallback and bad input."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from skimage import io
from skimage.transform import rescale

from inpaintkit import config, data


def make_folder(where: Path, files: dict) -> Path:
    """A CelebA-like folder ``where/celeba/img_align_celeba/`` holding ``files`` (arrays or raw bytes)."""
    folder = where / "celeba" / "img_align_celeba"
    folder.mkdir(parents=True)
    for name, image in files.items():
        if isinstance(image, bytes):
            (folder / name).write_bytes(image)
        else:
            io.imsave(folder / name, image, check_contrast=False)
    return folder.parent


def partition_table(root: Path) -> dict[str, int]:
    """The partition file read by hand, restricted to the files that are present."""
    present = {p.name for p in (root / "img_align_celeba").iterdir()}
    lines = (root / "list_eval_partition.txt").read_text().split("\n")
    pairs = (line.split() for line in lines if line.strip())
    return {name: int(value) for name, value in pairs if name in present}


# ----------------------------------------------------------------------------- framing
def test_half_size_png_frames_the_same_face_as_the_full_size_file(celeba_root, tmp_path):
    source = data.list_images(celeba_root, "validation", 1)[0]  # validation files are 178×218
    full = io.imread(source)
    assert full.shape == (218, 178, 3)
    half = np.rint(rescale(full, 0.5, anti_aliasing=True, channel_axis=-1) * 255).astype(np.uint8)
    assert half.shape == (109, 89, 3)
    shifted = np.pad(full[3:, 3:], ((0, 3), (0, 3), (0, 0)), mode="edge")  # content moved 3 px up-left
    png = f"{source.stem}.png"
    a = data.load_celeba(make_folder(tmp_path / "full", {source.name: source.read_bytes()}), "all", progress=False)
    b = data.load_celeba(make_folder(tmp_path / "half", {png: half}), "all", progress=False)
    c = data.load_celeba(make_folder(tmp_path / "shift", {png: shifted}), "all", progress=False)
    assert a.shape == b.shape == c.shape == (1, 64, 64, 3)
    same, moved = np.abs(a - b).mean(), np.abs(a - c).mean()
    # Measured on 12 files: 0.023–0.048 (0.028 for 162862.jpg; the half-size copy lost detail),
    # while the crop shifted by 3 original pixels differs by 0.14–0.24 (0.143), about 5× more.
    assert same < 0.06 < moved
    assert moved > 3 * same and np.abs(b - c).mean() > 0.06


def test_png_copies_are_found_through_the_partition_file(celeba_root, tmp_path):
    """list_eval_partition.txt names .jpg files; a PNG copy of CelebA is matched by its id."""
    source = data.list_images(celeba_root, "validation", 1)[0]
    root = make_folder(tmp_path, {f"{source.stem}.png": io.imread(source)})
    shutil.copy(celeba_root / "list_eval_partition.txt", root)
    assert [p.name for p in data.list_images(root, "validation")] == [f"{source.stem}.png"]
    with pytest.raises(data.DataError, match="no image of the train partition"):
        data.list_images(root, "train")


# ----------------------------------------------------------------------------- partitions and order
def test_partitions_follow_the_partition_file(celeba_root):
    table = partition_table(celeba_root)
    expected = {name: sorted(f for f, v in table.items() if v == number)
                for name, number in data.PARTITIONS.items()}
    train = data.list_images(celeba_root, "train", 5)
    assert [p.name for p in train] == expected["train"][:5]
    assert all(table[p.name] == 0 for p in train)
    validation = data.list_images(celeba_root, "validation")
    assert [p.name for p in validation] == expected["validation"]
    assert all(int(p.stem) >= 162771 for p in validation)
    assert len(data.list_images(celeba_root, "train")) == len(expected["train"])
    assert len(data.list_images(celeba_root, "all")) == len(table)
    assert [p.name for p in data.list_images(celeba_root, "val", 3)] == expected["validation"][:3]


def test_partitions_from_id_ranges_without_the_partition_file(celeba_root, tmp_path):
    root = make_folder(tmp_path, {})
    validation = data.list_images(celeba_root, "validation", 1)[0]
    for source in (celeba_root / "img_align_celeba" / "000001.jpg", validation):
        shutil.copy(source, root / "img_align_celeba")
    assert [p.name for p in data.list_images(root, "train")] == ["000001.jpg"]
    assert [p.name for p in data.list_images(root, "validation")] == [validation.name]
    with pytest.raises(data.DataError, match="no image of the test partition"):
        data.list_images(root, "test")


def test_loader_output_and_deterministic_order(celeba_root):
    faces = data.load_celeba(celeba_root, "validation", 6, progress=False)
    assert faces.shape == (6, 64, 64, 3) and faces.dtype == np.float32
    assert faces.min() >= -1 and faces.max() <= 1 and faces.std() > 0.1
    first_three = data.load_celeba(celeba_root, "validation", 3, progress=False, cache=False)
    np.testing.assert_array_equal(first_three, faces[:3])  # same files in the same order
    assert not np.array_equal(faces[0], faces[1])


# ----------------------------------------------------------------------------- cache
def test_cache_is_fast_identical_private_and_rebuilt_when_a_file_changes(celeba_root, tmp_path, private_cache,
                                                                         monkeypatch):
    root = make_folder(tmp_path, {})
    for source in data.list_images(celeba_root, "train", 40):
        shutil.copy(source, root / "img_align_celeba")
    decodes = []
    real_decode = data.decode_files
    monkeypatch.setattr(data, "decode_files", lambda files, **kw: decodes.append(len(files)) or real_decode(files, **kw))

    began = time.perf_counter()
    first = data.load_celeba(root, "all", progress=False)
    cold = time.perf_counter() - began
    began = time.perf_counter()
    second = data.load_celeba(root, "all", progress=False)
    warm = time.perf_counter() - began
    np.testing.assert_array_equal(first, second)
    assert decodes == [40] and warm < cold
    assert config.cache_dir() == private_cache and list(private_cache.glob("celeba64-*.npy"))

    changed = sorted((root / "img_align_celeba").iterdir())[0]
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched, same bytes
    np.testing.assert_array_equal(data.load_celeba(root, "all", progress=False), first)
    assert decodes == [40, 40]
    io.imsave(changed, np.zeros((109, 89, 3), np.uint8), check_contrast=False)  # new content
    third = data.load_celeba(root, "all", progress=False)
    assert decodes == [40, 40, 40]
    assert third[0].max() == -1.0 and np.array_equal(third[1:], first[1:])


# ----------------------------------------------------------------------------- bad input
def test_bad_folders_and_partitions_are_named(tmp_path, monkeypatch):
    with pytest.raises(data.DataError, match="does not exist"):
        data.list_images(tmp_path / "absent")
    (tmp_path / "plain").mkdir()
    with pytest.raises(data.DataError, match="has no img_align_celeba/ subfolder"):
        data.list_images(tmp_path / "plain")
    empty = make_folder(tmp_path, {})
    with pytest.raises(data.DataError, match="holds no image files"):
        data.list_images(empty)
    for call in (data.list_images, data.load_celeba):
        with pytest.raises(data.DataError, match="unknown partition 'dev': use one of train, validation, test"):
            call(empty, "dev")
    monkeypatch.setenv("INPAINTKIT_DATA", str(tmp_path / "plain"))
    with pytest.raises(data.DataError, match="img_align_celeba"):
        data.load_faces("validation", 2)  # a wrong INPAINTKIT_DATA is an error, not a silent fallback


def test_a_malformed_partition_file_names_the_line(tmp_path):
    root = make_folder(tmp_path, {"000001.png": np.zeros((109, 89, 3), np.uint8)})
    (root / "list_eval_partition.txt").write_text("000001.jpg 0\n000002.jpg train\n")
    with pytest.raises(data.DataError, match=r"list_eval_partition.txt:2: expected"):
        data.list_images(root)


def test_corrupt_files_are_skipped_and_grayscale_converted_with_counted_warnings(tmp_path):
    rng = np.random.default_rng(0)
    root = make_folder(tmp_path, {
        "000001.jpg": rng.integers(0, 255, (109, 89, 3), dtype=np.uint8),
        "000002.jpg": rng.bytes(3000),  # random bytes named .jpg
        "000003.png": rng.integers(0, 255, (109, 89), dtype=np.uint8),  # grayscale
    })
    for _ in range(2):  # the second load comes from the cache and says the same
        with pytest.warns(UserWarning) as caught:
            faces = data.load_celeba(root, "train", progress=False)
        messages = " ".join(str(w.message) for w in caught)
        assert "skipped 1 unreadable file(s) of 3" in messages and "000002.jpg" in messages
        assert "converted 1 file(s) to RGB" in messages and "000003.png: grayscale" in messages
        assert faces.shape == (2, 64, 64, 3)
    grey = faces[1]
    np.testing.assert_array_equal(grey[..., 0], grey[..., 1])
    only_bad = make_folder(tmp_path / "bad", {"000001.jpg": b"junk"})
    with pytest.raises(data.DataError, match="none of the 1 file"):
        with pytest.warns(UserWarning):
            data.load_celeba(only_bad, progress=False)


# ----------------------------------------------------------------------------- fallback
def test_sample_faces_when_the_variable_is_unset_with_one_notice(monkeypatch, capsys):
    monkeypatch.delenv("INPAINTKIT_DATA", raising=False)
    monkeypatch.setattr(data, "_SAMPLE_NOTICE_SHOWN", False)
    assert data.celeba_root() is None
    faces = data.load_faces("validation", 3)
    assert faces.shape == (3, 64, 64, 3) and faces.dtype == np.float32
    assert faces.min() >= -1 and faces.max() <= 1
    data.load_faces("train", 2)
    assert capsys.readouterr().out.count("INPAINTKIT_DATA is not set") == 1
    assert not np.array_equal(faces[1], faces[0]) and not np.array_equal(faces[1], faces[0][:, ::-1])  # real, different faces
    with pytest.raises(data.DataError, match="unknown partition"):
        data.load_faces("dev")
    with pytest.raises(data.DataError, match="set INPAINTKIT_DATA"):
        data.load_celeba()


# ----------------------------------------------------------------------------- training batches
def test_train_dataset_is_seeded_and_resumable():
    images = np.arange(10 * 64 * 64 * 3, dtype=np.float32).reshape(10, 64, 64, 3) / 1e6
    first = [b.numpy() for b in data.train_dataset(images, 4, seed=1, epoch=0)]
    again = [b.numpy() for b in data.train_dataset(images, 4, seed=1, epoch=0)]
    other = [b.numpy() for b in data.train_dataset(images, 4, seed=1, epoch=1)]
    assert len(first) == 2 and all(b.shape == (4, 64, 64, 3) and b.dtype == np.float32 for b in first)
    seen = np.concatenate(first)[:, 0, 0, 0]
    assert len(np.unique(seen)) == 8  # no image twice within an epoch
    np.testing.assert_array_equal(np.stack(first), np.stack(again))
    assert not np.array_equal(first[0], other[0])
    rest = [b.numpy() for b in data.train_dataset(images, 4, seed=1, epoch=0, skip_batches=1)]
    assert len(rest) == 1
    np.testing.assert_array_equal(rest[0], first[1])
    with pytest.raises(data.DataError, match="fewer than one batch"):
        data.train_dataset(images[:3], 4)
    with pytest.raises(data.DataError, match="skip_batches"):
        data.train_dataset(images, 4, skip_batches=-1)
