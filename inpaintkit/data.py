"""CelebA faces at 64×64, framed as in DCGAN and Yeh et al. (§3.1 of the paper).

An aligned CelebA crop is 178×218. The usual DCGAN framing takes its central 108×108 and
resizes it to 64×64. A scaled copy (say 89×109) holds the same face, so the crop box is scaled
with the image: the central 54×54 of an 89×109 file. Pixels come out as float32 in [−1, 1]
(the generator's tanh range), NHWC.

Where the data is: ``INPAINTKIT_DATA`` (see :mod:`inpaintkit.config`). When it is unset the kit
runs on a small built-in set of sample faces (public-domain official portraits shipped in
``inpaintkit/portraits/``, framed like CelebA by :mod:`inpaintkit.faces`) and says so once.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import config
from ._tf import tf
from .errors import InputError
from .storage import atomic_path

__all__ = ["EVALUATION_FACES", "FACE_BOX", "IMAGE_FOLDER", "IMAGE_SIZE", "ORIGINAL_SIZE",
           "PARTITION_FILE", "PARTITIONS", "HELD_OUT", "evaluation_partition", "PORTRAITS_DIR", "celeba_root",
           "DataError", "decode_files", "example_raw_image", "frame_face", "list_images",
           "load_celeba", "load_celeba_named", "load_faces", "LoadReport", "portrait_ids", "read_rgb", "resample_square",
           "sample_faces", "sample_photo", "to_uint8", "to_unit_range", "train_dataset", "tuning_faces",
           "tuning_faces_named"]

IMAGE_SIZE = 64
ORIGINAL_SIZE = (178, 218)  # width, height of CelebA's aligned crops
FACE_BOX = 108              # side of the central square taken from a 178×218 crop
IMAGE_FOLDER = "img_align_celeba"
PARTITION_FILE = "list_eval_partition.txt"
PARTITIONS = {"train": 0, "validation": 1, "test": 2}
HELD_OUT = ("validation", "test")  # the partitions G never saw: the only ones a result may be reported on
_ALIASES = {"val": "validation", "valid": "validation", "eval": "validation"}
# CelebA's official id ranges, used when list_eval_partition.txt is absent.
_ID_RANGES = {0: (1, 162770), 1: (162771, 182637), 2: (182638, 202599)}
_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp"}
_LOADER_VERSION = "2"  # bump when framing or decoding changes: old caches are then ignored
_EXIF_ORIENTATION = 0x0112


class DataError(InputError):
    """The data folder or one of its files is not what the kit can read."""


def to_unit_range(images_uint8: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] → float32 [−1, 1]."""
    out = images_uint8.astype(np.float32)
    out /= 127.5  # in place: no temporaries, 10× faster on 15k faces than `x / 127.5 - 1`
    out -= 1.0
    return out


def to_uint8(images: np.ndarray) -> np.ndarray:
    """float [−1, 1] → uint8 [0, 255], rounded and clipped."""
    return np.clip(np.rint((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def frame_face(image: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """Take the central 108/178 of the width as a square and resize it to ``size``; float in [0, 1].

    Works at any scale of the 178×218 aligned crop: the box is scaled with the image.
    """
    height, width = image.shape[:2]
    scale_to_original = min(width / ORIGINAL_SIZE[0], height / ORIGINAL_SIZE[1])
    side = FACE_BOX * scale_to_original
    return resample_square(image, (width - side) / 2, (height - side) / 2, side, size)


def resample_square(image: np.ndarray, left: float, top: float, side: float, size: int = IMAGE_SIZE) -> np.ndarray:
    """The square (left, top, side) of an image, in pixel-edge coordinates, resized to size × size;
    float in [0, 1], edge-padded outside the image.

    The box is kept at sub-pixel precision, and a downscale is anti-aliased (σ = (scale − 1)/2,
    as skimage's resize). Used for CelebA's framing and for any face framed by :mod:`faces`.
    """
    from skimage.filters import gaussian
    from skimage.transform import AffineTransform, warp
    from skimage.util import img_as_float32

    image = img_as_float32(image)
    step = side / size  # input pixels per output pixel
    if step > 1:
        image = gaussian(image, sigma=(step - 1) / 2, channel_axis=-1, mode="nearest", preserve_range=True)
    # Output pixel c has its centre at left + (c + ½)·step in edge coordinates; skimage's
    # coordinates put pixel centres on integers, hence the −½.
    to_input = AffineTransform(scale=step, translation=(left + step / 2 - 0.5, top + step / 2 - 0.5))
    framed = warp(image, to_input, output_shape=(size, size), order=1, mode="edge")
    return np.clip(framed, 0.0, 1.0).astype(np.float32)


def read_rgb(path, max_side: int | None = None, *, name: str | None = None) -> tuple[np.ndarray, str | None]:
    """Read an image file (a path, or the bytes of one) as uint8 H×W×3; also return a note saying
    what had to be converted, or None.

    Decoded with Pillow so that every mode comes out as true RGB: EXIF orientation is applied (a
    phone photo stands upright), grayscale and palette images are expanded, CMYK JPEGs are
    converted with their colours (Adobe's inverted CMYK included; reading them as "RGB + alpha"
    gave wrong colours), and transparency is flattened onto white. ``max_side`` downscales a
    larger photo first (JPEGs are decoded at a reduced scale, so a huge photo never fills memory).
    ``name`` names the source in errors and notes when ``path`` is bytes.
    """
    import io as _io

    from PIL import Image, ImageOps

    label = name or ("uploaded image" if isinstance(path, (bytes, bytearray, memoryview)) else str(path))
    source = _io.BytesIO(bytes(path)) if isinstance(path, (bytes, bytearray, memoryview)) else path
    notes = []
    try:
        with Image.open(source) as opened:
            if max_side is not None and max(opened.size) > max_side:
                notes.append(f"downscaled from {opened.size[0]}×{opened.size[1]}")
                opened.draft(None, (max_side, max_side))  # JPEG: decode at 1/2, 1/4 or 1/8 scale
            opened.load()
            image = opened
            if opened.getexif().get(_EXIF_ORIENTATION, 1) not in (0, 1):
                image = ImageOps.exif_transpose(opened)  # a phone photo stands upright
                notes.append("turned upright (EXIF orientation)")
    except FileNotFoundError:
        raise DataError(f"image file {label} does not exist") from None
    except Exception as error:  # Pillow raises many types for a damaged or unknown file
        raise DataError(f"cannot read image {label}: {error.__class__.__name__}: {error}") from None
    mode = image.mode
    if mode in ("1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F"):
        notes.append("grayscale")
        if mode not in ("1", "L", "LA", "La"):  # 16-bit or float grey: to 8 bits (65535 → 255)
            grey = np.asarray(image, np.float64)
            grey = grey / 257.0 if grey.max() > 255 else grey
            image = Image.fromarray(np.clip(np.rint(grey), 0, 255).astype(np.uint8))
    elif mode == "CMYK":
        notes.append("CMYK converted to RGB")
    elif mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        if np.asarray(rgba)[..., 3].min() < 255:
            notes.append("transparency flattened onto white")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(white, rgba)
        else:
            notes.append("alpha channel dropped (fully opaque)")
    rgb = image.convert("RGB")
    if max_side is not None and max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    array = np.asarray(rgb, dtype=np.uint8)
    if min(array.shape[:2]) < 16:
        raise DataError(f"{label} is {array.shape[1]}×{array.shape[0]} pixels, too small to frame a face")
    return array, "; ".join(notes) or None


def _partition_name(partition: str) -> str:
    key = str(partition).strip().lower()
    name = _ALIASES.get(key, key)
    if name not in PARTITIONS and name != "all":
        raise DataError(f"unknown partition {partition!r}: use one of train, validation, test, all")
    return name


def evaluation_partition(partition: str) -> str:
    """The held-out partition a user may evaluate on, by name in any case (``Validation``, ``val``,
    ``TEST``): ``validation`` or ``test``. ``train`` and ``all`` (which holds train) are refused:
    the generator was fitted to those faces."""
    key = str(partition).strip().lower()
    name = _ALIASES.get(key, key)
    if name in HELD_OUT:
        return name
    why = "it holds the faces the generator was trained on" if name in ("train", "all") else "no such partition"
    raise DataError(f"--partition {partition!r}: evaluate on held-out faces, {' or '.join(HELD_OUT)}, never train "
                    f"({why})")


def celeba_root(required: bool = False) -> Path | None:
    """The folder named by ``INPAINTKIT_DATA``, checked; None when the variable is unset.

    A variable that names a folder without ``img_align_celeba/`` is an error, not a silent fallback.
    """
    root = config.data_dir()
    if root is None:
        if required:
            raise DataError(f"no CelebA folder: set {config.ENV_DATA} to a folder holding {IMAGE_FOLDER}/")
        return None
    _image_folder(root)
    return root


def _image_folder(root: Path) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"data folder {root} does not exist")
    folder = root / IMAGE_FOLDER
    if not folder.is_dir():
        raise DataError(f"data folder {root} has no {IMAGE_FOLDER}/ subfolder (CelebA's layout)")
    return folder


def _read_partition_file(path: Path) -> dict[str, int]:
    """CelebA's ``list_eval_partition.txt`` as {image id (file stem): partition number}.

    Keyed by the stem, not the file name, so that a PNG copy of the set (``000001.png``) is
    found under the ``000001.jpg`` line.
    """
    table: dict[str, int] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or parts[1] not in {"0", "1", "2"}:
            raise DataError(f"{path}:{number}: expected '<file> <0|1|2>', got {line!r}")
        table[Path(parts[0]).stem] = int(parts[1])
    return table


def list_images(root: Path, partition: str = "train", count: int | None = None) -> list[Path]:
    """Image files of one partition in a deterministic (sorted) order, the first ``count`` of them."""
    name = _partition_name(partition)
    folder = _image_folder(root)
    # os.scandir and plain strings: building a Path per entry costs more than the cached load itself.
    names = sorted(entry.name for entry in os.scandir(folder)
                   if os.path.splitext(entry.name)[1].lower() in _EXTENSIONS)
    files = [folder / name for name in names]
    if not files:
        raise DataError(f"{folder} holds no image files (.jpg, .png)")
    if name != "all":
        wanted = PARTITIONS[name]
        table_path = Path(root) / PARTITION_FILE
        if table_path.exists():
            table = _read_partition_file(table_path)
            files = [p for p in files if table.get(p.stem) == wanted]
        else:
            low, high = _ID_RANGES[wanted]
            files = [p for p in files if p.stem.isdigit() and low <= int(p.stem) <= high]
        if not files:
            raise DataError(f"no image of the {name} partition in {folder}")
    if count is not None:
        if count < 1:
            raise DataError(f"count must be at least 1, got {count}")
        files = files[:count]
    return files


def _cache_key(files: list[Path]) -> str:
    digest = hashlib.sha256(f"v{_LOADER_VERSION}:{IMAGE_SIZE}".encode())
    folders: dict[str, str] = {}  # resolve each folder once, not each of 15k files
    for path in map(str, files):
        parent, name = os.path.split(path)
        if parent not in folders:
            folders[parent] = os.path.realpath(parent)
        stat = os.stat(path)
        digest.update(f"{folders[parent]}/{name}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


@dataclass
class LoadReport:
    """What a load skipped or converted, so that nothing is dropped silently."""

    loaded: int = 0
    skipped: list[str] | None = None
    names: list[str] | None = None   # the file name of each loaded face, in order
    converted: list[str] | None = None
    from_cache: bool = False


def _warn_about(skipped: list[str], converted: list[str], total: int, *, cached: bool = False,
                stacklevel: int = 4) -> None:
    """One counted warning for the skipped files and one for the converted ones."""
    where = " (as when the cache was built)" if cached else ""
    if skipped:
        warnings.warn(f"skipped {len(skipped)} unreadable file(s) of {total}{where}; first: {skipped[0]}",
                      stacklevel=stacklevel)
    if converted:
        warnings.warn(f"converted {len(converted)} file(s) to RGB{where}; first: {converted[0]}",
                      stacklevel=stacklevel)


def decode_files(files: list[Path], progress: bool = True) -> tuple[np.ndarray, LoadReport]:
    """Decode and frame files to uint8 64×64×3; unreadable files are skipped and counted."""
    from tqdm.auto import tqdm

    report = LoadReport(skipped=[], converted=[], names=[])
    out = []
    for path in tqdm(files, desc="decoding faces", disable=not progress or len(files) < 200, leave=True):
        try:
            if path.stat().st_size == 0:  # else imageio suggests installing a video plugin
                raise DataError(f"{path} is empty (0 bytes): not an image")
            image, note = read_rgb(path)
        except DataError as error:
            report.skipped.append(str(error))
            continue
        if note:
            report.converted.append(f"{path.name}: {note}")
        out.append(to_uint8(frame_face(image) * 2 - 1))
        report.names.append(path.name)
    _warn_about(report.skipped, report.converted, len(files))
    if not out:
        raise DataError(f"none of the {len(files)} file(s) could be read; first problem: {report.skipped[0]}")
    report.loaded = len(out)
    return np.stack(out), report


def load_celeba(root: Path | str | None = None, partition: str = "train", count: int | None = None,
                *, cache: bool = True, progress: bool = True) -> np.ndarray:
    """Faces of one CelebA partition as float32 (N, 64, 64, 3) in [−1, 1].

    The decoded array is cached (uint8 ``.npy`` under ``INPAINTKIT_CACHE``) under a key made of
    the selected files' paths, sizes and modification times, so a changed source rebuilds it.
    A ``.json`` beside it keeps what the decode skipped or converted, so a load from the cache
    warns exactly as the first one did, the name of each loaded file and a CRC-32 of the decoded
    pixels: a cache file changed or damaged since it was written is rebuilt, never used. (CRC-32:
    it catches damage, not tampering, at a third of sha256's cost on the cached-load path.)
    """
    return load_celeba_named(root, partition, count, cache=cache, progress=progress)[0]


def load_celeba_named(root: Path | str | None = None, partition: str = "train", count: int | None = None,
                      *, cache: bool = True, progress: bool = True) -> tuple[np.ndarray, list[str]]:
    """:func:`load_celeba` and the file name of every face it returns: a file that could not be
    read is skipped (and warned about), so ``list_images`` and the faces need not line up."""
    root = Path(root) if root is not None else celeba_root(required=True)
    files = list_images(root, partition, count)
    cache_file = config.cache_dir() / f"celeba64-{_cache_key(files)}.npy"
    notes_file = cache_file.with_suffix(".json")  # what the decode skipped or converted
    if cache:
        cached = _read_cache(cache_file, notes_file, len(files))
        if cached is not None:
            return cached
    images, report = decode_files(files, progress=progress)
    if cache:
        _write_cache(cache_file, notes_file, images, report)
    return to_unit_range(images), list(report.names)


def _read_cache(cache_file: Path, notes_file: Path, total: int) -> tuple[np.ndarray, list[str]] | None:
    """The cached faces and names, or None (no cache, a damaged or stale one, an unreadable folder)."""
    try:
        if not (cache_file.exists() and notes_file.exists()):
            return None
    except OSError:
        return None  # a cache folder we may not look into: decode instead
    try:
        notes = json.loads(notes_file.read_text())
        images = np.load(cache_file)
        if "names" not in notes or len(images) != len(notes["names"]) or notes.get("crc32") != _crc32(images):
            raise ValueError("the cache does not match its notes")
    except (OSError, ValueError):
        warnings.warn(f"the image cache {cache_file} is damaged or stale; decoding the files again", stacklevel=4)
        try:
            cache_file.unlink(missing_ok=True)  # rebuild it
        except OSError:
            pass
        return None
    _warn_about(notes.get("skipped", []), notes.get("converted", []), total, cached=True, stacklevel=4)
    return to_unit_range(images), list(notes["names"])


def _write_cache(cache_file: Path, notes_file: Path, images: np.ndarray, report: LoadReport) -> None:
    """Cache the decoded faces; the cache is optional, so a folder that cannot take it (read-only,
    full, a file in the way) is skipped with a warning instead of stopping the run."""
    try:
        with atomic_path(cache_file) as tmp:
            np.save(tmp, images)
        with atomic_path(notes_file) as tmp:  # written last: it marks the cache complete
            tmp.write_text(json.dumps({"skipped": report.skipped, "converted": report.converted,
                                       "names": report.names, "crc32": _crc32(images)}))
    except OSError as error:  # StorageError included
        warnings.warn(f"the decoded faces are not cached: {error} (set {config.ENV_CACHE} to a writable folder "
                      "to keep them)", stacklevel=4)


def _crc32(images: np.ndarray) -> int:
    import zlib

    return zlib.crc32(memoryview(np.ascontiguousarray(images)).cast("B"))


_SAMPLE_NOTICE_SHOWN = False
PORTRAITS_DIR = Path(__file__).parent / "portraits"


def _portraits() -> list[dict]:
    """The shipped portraits' manifest entries (id, file, detection box, crop box)."""
    manifest = PORTRAITS_DIR / "manifest.json"
    if not manifest.exists():
        raise DataError(f"the built-in faces are missing: {manifest} does not exist (reinstall inpaintkit)")
    return json.loads(manifest.read_text())["faces"]


def portrait_ids() -> list[str]:
    """The built-in portraits' ids (Bioguide ids, e.g. ``A000014``), in the order of :func:`sample_faces`."""
    return [entry["id"] for entry in _portraits()]


_SAMPLE_CACHE: dict[int, np.ndarray] = {}


def sample_faces(count: int | None = None) -> np.ndarray:
    """The built-in faces: a few dozen public-domain official portraits (``inpaintkit/portraits/``,
    source and licence in its README), each framed like CelebA by :mod:`inpaintkit.faces`.

    The face boxes were found once by ``tools/make_builtin_faces.py`` and are stored in the
    manifest, so loading only cuts and resizes. More faces than shipped repeat them in order.
    """
    entries = _portraits()
    wanted = len(entries) if count is None else count
    if wanted < 1:
        raise DataError(f"count must be at least 1, got {count}")
    faces = []
    for index in range(min(wanted, len(entries))):
        if index not in _SAMPLE_CACHE:
            photo, _ = read_rgb(PORTRAITS_DIR / entries[index]["file"])
            _SAMPLE_CACHE[index] = to_unit_range(to_uint8(resample_square(photo, *entries[index]["crop"]) * 2 - 1))
        faces.append(_SAMPLE_CACHE[index])
    faces = np.stack(faces)
    return np.resize(faces, (wanted,) + faces.shape[1:]) if wanted > len(faces) else faces


def sample_photo(index: int = 0) -> tuple[np.ndarray, str]:
    """One built-in portrait as the photo it was framed from (uint8 H×W×3) and its id."""
    entries = _portraits()
    entry = entries[index % len(entries)]
    photo, _ = read_rgb(PORTRAITS_DIR / entry["file"])
    return photo, entry["id"]


def load_faces(partition: str = "validation", count: int | None = None, *, progress: bool = True) -> np.ndarray:
    """CelebA faces when ``INPAINTKIT_DATA`` is set, else the built-in sample faces (said once)."""
    global _SAMPLE_NOTICE_SHOWN
    root = celeba_root()
    if root is not None:
        return load_celeba(root, partition, count, progress=progress)
    _partition_name(partition)  # a wrong name is an error either way
    if not _SAMPLE_NOTICE_SHOWN:
        print(f"inpaintkit: {config.ENV_DATA} is not set, so the built-in sample faces are used "
              f"(public-domain portraits framed like CelebA, the same for every partition). Point "
              f"{config.ENV_DATA} at a CelebA download for real data.")
        _SAMPLE_NOTICE_SHOWN = True
    shipped = len(_portraits())
    if count is not None and count > shipped:
        print(f"inpaintkit: {count} faces asked for and {shipped} built-in faces exist: they repeat in order")
    return sample_faces(count)


def train_dataset(images, batch_size: int = 64, *, seed: int = 0, epoch: int = 0,
                  skip_batches: int = 0, flip: bool = False):
    """A tf.data pipeline for one epoch: shuffled by (seed, epoch), batched (drop remainder), prefetched.

    Shuffling is seeded per epoch, so a resumed run sees exactly the batches it would have seen;
    ``skip_batches`` drops the batches an interrupted epoch already used. ``flip`` mirrors each
    face left-right with probability ½, drawn from (seed, epoch) too, so it also resumes exactly.
    """
    if len(images) < batch_size:
        raise DataError(f"{len(images)} images are fewer than one batch of {batch_size}")
    if skip_batches < 0:  # tf.data's skip(-1) would silently skip the whole epoch
        raise DataError(f"skip_batches must be 0 or more, got {skip_batches}")
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(images))
    mirror = rng.random(len(images)) < 0.5 if flip else np.zeros(len(images), bool)
    dataset = tf.data.Dataset.from_tensor_slices((order, mirror))
    dataset = dataset.batch(batch_size, drop_remainder=True).skip(skip_batches)
    # Pass a tf.Tensor to reuse one copy of the images across epochs (a NumPy array is copied).
    table = images if isinstance(images, tf.Tensor) else tf.constant(images)

    def gather(idx, mirror):
        batch = tf.gather(table, idx)
        return tf.where(mirror[:, None, None, None], tf.reverse(batch, axis=[2]), batch) if flip else batch

    dataset = dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def example_raw_image() -> np.ndarray:
    """One raw aligned crop for notebook 00: the first validation file of ``INPAINTKIT_DATA``,
    or the first built-in portrait cut to a 178×218 box around its CelebA framing (so that
    :func:`frame_face` of it gives the first built-in face)."""
    root = celeba_root()
    if root is not None:
        image, _ = read_rgb(list_images(root, "validation", 1)[0])
        return image
    from skimage.transform import AffineTransform, warp

    photo, _ = sample_photo(0)
    left, top, side = _portraits()[0]["crop"]
    step = side / FACE_BOX  # photo pixels per aligned-crop pixel
    width, height = ORIGINAL_SIZE
    left, top = left - step * (width - FACE_BOX) / 2, top - step * (height - FACE_BOX) / 2
    to_photo = AffineTransform(scale=step, translation=(left + step / 2 - 0.5, top + step / 2 - 0.5))
    crop = warp(photo, to_photo, output_shape=(height, width), order=1, mode="edge")
    return to_uint8(crop * 2 - 1)


# Validation faces 0–99 (in sorted order) are the reported evaluation (Tables 1 and 2); anything
# tuned (learning rates, recipes, starts) is tuned on the faces after them.
EVALUATION_FACES = 100


def tuning_faces_named(root: Path | str, count: int) -> tuple[np.ndarray, list[str]]:
    """Validation faces the evaluation never reports (numbers 100 … 100 + count − 1 in sorted
    order) and their file names: the faces every recipe, rate and start is tuned on."""
    if count < 1:
        raise DataError(f"count must be at least 1, got {count}")
    faces, names = load_celeba_named(root, "validation", EVALUATION_FACES + count, progress=False)
    if len(faces) <= EVALUATION_FACES:
        raise DataError(f"the validation partition of {root} has {len(faces)} faces: none is left "
                        f"for tuning after the {EVALUATION_FACES} that the evaluation reports")
    return faces[EVALUATION_FACES:], names[EVALUATION_FACES:]


def tuning_faces(root: Path | str, count: int) -> np.ndarray:
    """:func:`tuning_faces_named` without the names."""
    return tuning_faces_named(root, count)[0]
