"""Faults and bad input (issue 15): each case asserts the message a user sees and that nothing
was lost or half-written. Training's cases live in test_dcgan.py."""
from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pytest

from inpaintkit import config, data, dcgan, evaluation, masks, metrics, reports
from inpaintkit.blending import poisson_blend
from inpaintkit.cli import main
from inpaintkit.errors import InputError
from inpaintkit.pipeline import fig8


NAMES = [f"{i:06d}.jpg" for i in range(4)]
TINY = dict(patterns=(1, 5), steps=2, refine_steps=2, progress=False)


def files_in(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) if folder.exists() else []


class Unusable:
    """A stand-in for G or D that fails if the pipeline uses it: checks must come first."""

    input_shape = (None, 100)

    def __call__(self, *args, **kwargs):
        raise AssertionError("the model was run before the arguments were checked")


# ----------------------------------------------------------------------------- evaluation runs
@pytest.fixture(scope="module")
def finished_run(models, faces, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    evaluation.evaluate(faces, NAMES, *models, out, batch_size=2, **TINY)
    return out


def copy_run(finished_run, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(finished_run, target)
    return target


def test_a_run_stopped_mid_batch_resumes_to_the_same_csv(models, faces, finished_run, tmp_path, monkeypatch):
    real = evaluation.run_batch
    calls = []

    def stopped_on_the_third_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # as a kill in the middle of a batch: nothing of it is written
        return real(*args, **kwargs)

    out = tmp_path / "stopped"
    monkeypatch.setattr(evaluation, "run_batch", stopped_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        evaluation.evaluate(faces, NAMES, *models, out, batch_size=2, **TINY)
    assert len(reports.batch_files(out)) == 2 and files_in(out / "batches") == [p.name for p in reports.batch_files(out)]
    monkeypatch.setattr(evaluation, "run_batch", real)
    evaluation.evaluate(faces, NAMES, *models, out, batch_size=2, **TINY)
    whole = copy_run(finished_run, tmp_path)
    reports.write_reports(out)
    reports.write_reports(whole)
    assert (out / "per_image.csv").read_bytes() == (whole / "per_image.csv").read_bytes()


def test_a_leftover_temporary_batch_file_is_not_counted_as_a_result(finished_run, tmp_path):
    out = copy_run(finished_run, tmp_path)
    real = out / "batches" / "pattern1_batch000.json"
    # What a kill -9 during atomic_write_text leaves: a hidden temp file beside the batches.
    shutil.copy(real, out / "batches" / ".pattern1_batch000-k1ll3d.json")
    (out / "batches" / ".pattern5_batch001-trunc.json").write_text(real.read_text()[:40])
    run = reports.write_reports(out)
    assert len(run["rows"]) == 8  # not 10: the copy is not a second result
    clean = copy_run(finished_run, tmp_path / "clean")
    reports.write_reports(clean)
    assert (out / "per_image.csv").read_bytes() == (clean / "per_image.csv").read_bytes()
    assert "n = 8 image-pattern pairs" in (out / "table1.md").read_text()


def test_a_truncated_batch_file_is_named_with_what_to_do(finished_run, tmp_path):
    out = copy_run(finished_run, tmp_path)
    bad = out / "batches" / "pattern5_batch001.json"
    bad.write_text(bad.read_text()[:100])
    with pytest.raises(InputError, match=r"batch file .*pattern5_batch001\.json is damaged.*delete it"):
        reports.collect(out)


def test_a_batch_with_a_short_column_is_named(finished_run, tmp_path):
    out = copy_run(finished_run, tmp_path)
    path = out / "batches" / "pattern1_batch000.json"
    batch = json.loads(path.read_text())
    batch["after_image_MAE"] = batch["after_image_MAE"][:1]
    path.write_text(json.dumps(batch))
    with pytest.raises(InputError, match="after_image_MAE has 1 values for 2 faces"):
        reports.collect(out)


def test_a_face_counted_twice_is_refused(finished_run, tmp_path):
    out = copy_run(finished_run, tmp_path)
    shutil.copy(out / "batches" / "pattern1_batch000.json", out / "batches" / "pattern1_batch007.json")
    with pytest.raises(InputError, match="holds face 0 of pattern 1 twice"):
        reports.collect(out)


def test_per_image_csv_keeps_table2_columns_that_only_the_centre_rows_have(finished_run, tmp_path):
    import csv

    out = copy_run(finished_run, tmp_path)
    run = reports.write_reports(out)
    assert run["rows"][0]["pattern"] == 1  # the first row has no inpaint3000 values
    rows = list(csv.DictReader((out / "per_image.csv").open()))
    assert len(rows) == 8
    for name in ("inpaint3000_image_MAE", "inpaint3000_missing_MSSIM", "after_image_MAE"):
        assert name in rows[0]
    centre = [r for r in rows if r["pattern"] == "5"]
    others = [r for r in rows if r["pattern"] == "1"]
    stored = {r["index"]: r["inpaint3000_image_MAE"] for r in run["rows"] if r["pattern"] == 5}
    assert [float(r["inpaint3000_image_MAE"]) for r in centre] == pytest.approx(
        [stored[int(r["index"])] for r in centre], rel=1e-5)
    assert all(r["inpaint3000_image_MAE"] == "" for r in others)


@pytest.mark.parametrize("setting, message", [
    (dict(steps=0), "steps must be a whole number of at least 1, got 0"),
    (dict(refine_steps=0), "refine_steps must be a whole number of at least 1, got 0"),
    (dict(batch_size=0), "batch_size must be a whole number of at least 1, got 0"),
    (dict(patterns=(1, 9)), r"patterns must be distinct hole patterns .* got \[1, 9\]"),
    (dict(patterns=()), "patterns must be distinct hole patterns"),
])
def test_invalid_evaluation_settings_are_refused_before_anything_is_written(models, faces, tmp_path, setting,
                                                                            message):
    run = dict(TINY, batch_size=2) | setting
    with pytest.raises(InputError, match=message):
        evaluation.evaluate(faces, NAMES, *models, tmp_path / "out", **run)
    assert not (tmp_path / "out").exists()  # no settings.json blocking the folder


def test_names_must_match_the_faces(models, faces, tmp_path):
    with pytest.raises(InputError, match="3 names for 4 faces"):
        evaluation.evaluate(faces, NAMES[:3], *models, tmp_path / "out", batch_size=2, **TINY)
    assert not (tmp_path / "out").exists()


def test_a_damaged_settings_file_is_named(models, faces, tmp_path):
    (tmp_path / "settings.json").write_text('{"n": 4, "pat')
    with pytest.raises(InputError, match=r"settings\.json is damaged"):
        evaluation.evaluate(faces, NAMES, *models, tmp_path, batch_size=2, **TINY)
    assert files_in(tmp_path) == ["settings.json"]


@pytest.mark.parametrize("spec, message", [("3/2", "need 1 <= i <= n"), ("0/0", "need 1 <= i <= n"),
                                           ("1/0", "need 1 <= i <= n"), ("a/b", "must look like i/n"),
                                           ("2", "must look like i/n")])
def test_bad_shard_specs_are_named(spec, message):
    with pytest.raises(InputError, match=message):
        evaluation.parse_shard(spec)


def test_two_shards_give_exactly_one_run(models, faces, finished_run, tmp_path):
    out = tmp_path / "sharded"
    first = evaluation.evaluate(faces, NAMES, *models, out, batch_size=2, shard=(1, 2), **TINY)
    assert 0 < len(first["rows"]) < 8  # only its share
    evaluation.evaluate(faces, NAMES, *models, out, batch_size=2, shard=(2, 2), **TINY)
    whole = copy_run(finished_run, tmp_path)
    reports.write_reports(out)
    reports.write_reports(whole)
    assert files_in(out) == files_in(whole)
    assert (out / "per_image.csv").read_bytes() == (whole / "per_image.csv").read_bytes()
    for name in ("table1.md", "table2.md", "shortcomings.md", "summary.md"):
        # The same bytes but for the measured compute time.
        strip = lambda text: [line for line in text.splitlines() if "compute" not in line]
        assert strip((out / name).read_text()) == strip((whole / name).read_text())


# ----------------------------------------------------------------------------- the command line
def test_cli_evaluate_refuses_zero_batch_size_and_steps_in_one_line_writing_nothing(tmp_path, capsys):
    for flags, message in ((["--batch-size", "0"], "--batch-size must be a whole number of at least 1, got 0"),
                           (["--steps", "0"], "--steps must be a whole number of at least 1, got 0"),
                           # 0 used to fall back to --steps silently
                           (["--refine-steps", "0"], "--refine-steps must be a whole number of at least 1, got 0")):
        code = main(["evaluate", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")] + flags)
        err = capsys.readouterr().err
        assert code == 2 and err.strip() == f"inpaintkit evaluate: error: {message}"
    assert not (tmp_path / "out").exists()


def test_cli_bad_shard_and_shard_with_report_only(tmp_path, capsys):
    assert main(["evaluate", "--shard", "3/2", "--out", str(tmp_path / "out")]) == 2
    assert "--shard 3/2: need 1 <= i <= n" in capsys.readouterr().err
    assert main(["evaluate", "--shard", "1/2", "--report-only", "--out", str(tmp_path / "out")]) == 2
    assert "give it without --shard" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_damaged_weights_folder_is_one_line(tmp_path, capsys, small_celeba):
    code = main(["evaluate", "--data", str(small_celeba), "--n", "1", "--weights", str(tmp_path / "none"),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "no manifest.json" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_bugs_keep_their_traceback_and_user_errors_get_one_line(monkeypatch, tmp_path, capsys):
    from inpaintkit import cli

    def bug(args):
        return np.zeros(3) + np.zeros(4)  # a numpy ValueError: a bug in the kit, not the user's fault

    monkeypatch.setattr(cli, "_demo", bug)
    with pytest.raises(ValueError, match="broadcast"):
        main(["demo", "--out", str(tmp_path)])

    def lookup(args):
        return {}["missing"]

    monkeypatch.setattr(cli, "_demo", lookup)
    with pytest.raises(KeyError):
        main(["demo", "--out", str(tmp_path)])

    def user_error(args):
        raise InputError("y must lie in [-1, 1]")

    monkeypatch.setattr(cli, "_demo", user_error)
    assert main(["demo", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "inpaintkit demo: error: y must lie in [-1, 1]\n"


def test_the_demo_on_celeba_never_writes_into_the_committed_figures(small_celeba, tmp_path, monkeypatch):
    """With INPAINTKIT_DATA set, `make run` shows CelebA faces: they go to the git-ignored figures/celeba/."""
    monkeypatch.setenv("INPAINTKIT_DATA", str(small_celeba))
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--patterns", "5", "--steps", "2"]) == 0
    assert (tmp_path / "figures" / "celeba" / "demo_pipeline.png").exists()
    assert (tmp_path / "figures" / "celeba" / ".gitignore").read_text() == "*\n"
    assert not (tmp_path / "figures" / "demo_pipeline.png").exists()


@pytest.fixture
def folder_with_a_bad_file(small_celeba, tmp_path):
    """The four faces of ``small_celeba`` in a second folder, of which the second cannot be read."""
    files = data.list_images(small_celeba, "validation", 4)
    folder = tmp_path / "damaged" / data.IMAGE_FOLDER
    folder.mkdir(parents=True)
    for path in files:
        shutil.copy(path, folder / path.name)
    (folder / files[1].name).write_bytes(b"not a png at all")
    return tmp_path / "damaged", [p.name for p in files]


def test_names_come_with_the_faces_when_a_file_is_skipped(folder_with_a_bad_file, small_celeba):
    root, names = folder_with_a_bad_file
    with pytest.warns(UserWarning, match="skipped 1 unreadable file"):
        faces, loaded = data.load_celeba_named(root, "validation", cache=False, progress=False)
    assert loaded == [names[0], names[2], names[3]]
    good = data.load_celeba(small_celeba, "validation", 4, progress=False)
    np.testing.assert_array_equal(faces, good[[0, 2, 3]])
    # From the cache the same names come back, with the same warning.
    with pytest.warns(UserWarning, match="skipped 1"):
        data.load_celeba_named(root, "validation", progress=False)
    with pytest.warns(UserWarning, match="as when the cache was built"):
        again, cached_names = data.load_celeba_named(root, "validation", progress=False)
    assert cached_names == loaded
    np.testing.assert_array_equal(again, faces)


def test_tuning_faces_are_the_validation_faces_after_the_evaluated_ones(small_celeba, monkeypatch):
    monkeypatch.setattr(data, "EVALUATION_FACES", 2)  # four faces here: two "evaluated", two for tuning
    files = data.list_images(small_celeba, "validation", 4)
    faces, names = data.tuning_faces_named(small_celeba, 5)
    assert names == [files[2].name, files[3].name]
    all_four = data.load_celeba(small_celeba, "validation", 4, progress=False)
    np.testing.assert_array_equal(faces, all_four[2:])
    np.testing.assert_array_equal(data.tuning_faces(small_celeba, 1), all_four[2:3])
    monkeypatch.setattr(data, "EVALUATION_FACES", 4)
    with pytest.raises(data.DataError, match="none is left for tuning"):
        data.tuning_faces_named(small_celeba, 1)
    with pytest.raises(data.DataError, match="at least 1"):
        data.tuning_faces(small_celeba, 0)


def test_evaluate_names_each_row_with_the_file_of_its_face(folder_with_a_bad_file, tmp_path, capsys):
    import csv

    root, names = folder_with_a_bad_file
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["evaluate", "--data", str(root), "--n", "4", "--patterns", "6", "--steps", "1",
                     "--batch-size", "2", "--no-table2", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    rows = list(csv.DictReader((out / "per_image.csv").open()))
    assert [(r["index"], r["file"]) for r in rows] == [("0", names[0]), ("1", names[2]), ("2", names[3])]
    assert json.loads((out / "settings.json").read_text())["n"] == 3


def test_a_zero_byte_image_is_called_empty_without_a_plugin_hint(small_celeba, tmp_path):
    folder = tmp_path / "c" / data.IMAGE_FOLDER
    folder.mkdir(parents=True)
    first, second = data.list_images(small_celeba, "validation", 2)
    shutil.copy(first, folder / first.name)
    (folder / second.name).write_bytes(b"")
    with pytest.warns(UserWarning) as caught:
        faces = data.load_celeba(tmp_path / "c", "validation", cache=False, progress=False)
    text = " ".join(str(w.message) for w in caught)
    assert len(faces) == 1 and "is empty (0 bytes)" in text and "pyav" not in text.lower()


def cache_files(root, count):
    """The cache's .npy and .json of the first ``count`` validation faces."""
    npy = config.cache_dir() / f"celeba64-{data._cache_key(data.list_images(root, 'validation', count))}.npy"
    return npy, npy.with_suffix(".json")


def test_a_damaged_image_cache_is_detected_and_rebuilt(small_celeba):
    root = small_celeba
    good = data.load_celeba(root, "validation", 3, progress=False)
    cached, _ = cache_files(root, 3)
    raw = bytearray(cached.read_bytes())
    raw[-5] ^= 0xFF  # one pixel changed: np.load would read it without complaint
    cached.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match="image cache .* is damaged or stale"):
        again = data.load_celeba(root, "validation", 3, progress=False)
    np.testing.assert_array_equal(again, good)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rebuilt: no warning the next time
        np.testing.assert_array_equal(data.load_celeba(root, "validation", 3, progress=False), good)


def test_an_old_cache_without_a_checksum_is_rebuilt(small_celeba):
    root = small_celeba
    good = data.load_celeba(root, "validation", 2, progress=False)
    _, notes = cache_files(root, 2)
    notes.write_text(json.dumps({"skipped": [], "converted": []}))
    with pytest.warns(UserWarning, match="damaged or stale"):
        np.testing.assert_array_equal(data.load_celeba(root, "validation", 2, progress=False), good)
    assert "crc32" in json.loads(notes.read_text())


# ----------------------------------------------------------------------------- images in the wrong range
@pytest.fixture
def pair():
    rng = np.random.default_rng(1)
    return rng.uniform(-1, 1, (2, 64, 64, 3)), masks.make_mask(5)


@pytest.mark.parametrize("which", ["y", "x_g"])
def test_poisson_blend_refuses_0_255_images(pair, which):
    images, known = pair
    args = {"y": images, "x_g": images}
    args[which] = (images + 1) * 127.5
    with pytest.raises(InputError, match=rf"{which} must lie in \[-1, 1\], found .*looks like 0–255"):
        poisson_blend(args["y"], known, args["x_g"])


def test_poisson_blend_refuses_nan(pair):
    images, known = pair
    bad = images.copy()
    bad[0, 40, 40, 0] = np.nan  # inside the hole: it would vanish into the solve otherwise
    with pytest.raises(InputError, match="x_g holds NaN"):
        poisson_blend(images, known, bad)


@pytest.mark.parametrize("which", ["result", "original"])
def test_image_metrics_refuse_0_255_images(pair, which):
    images, _ = pair
    args = {"result": images, "original": images}
    args[which] = (images + 1) * 127.5
    with pytest.raises(InputError, match=rf"{which} must lie in \[-1, 1\]"):
        metrics.image_metrics(args["result"], args["original"])


def test_image_metrics_refuse_nan(pair):
    images, _ = pair
    bad = images.copy()
    bad[1, 0, 0, 2] = np.nan
    with pytest.raises(InputError, match="result holds NaN"):
        metrics.image_metrics(bad, images)


# ----------------------------------------------------------------------------- the pipeline checks first
@pytest.mark.parametrize("setting, message", [
    (dict(mu=[0.5, 0.5, 0.5]), r"µ must be one value or one per image \(2\), got shape \(3,\)"),
    (dict(mu=-0.1), "µ must be a finite number ≥ 0"),
    (dict(mu=np.nan), "µ must be a finite number ≥ 0"),
    (dict(blend_kind="gaussian"), "blend_kind must be one of"),
    (dict(refine_init="random"), "refine_init must be one of"),
    (dict(refine_steps=0), "refine_steps must be a whole number of at least 1, got 0"),
    (dict(inpaint_steps=0), "inpaint_steps must be a whole number of at least 1, got 0"),
    (dict(lam=-1.0), "λ must be a finite number ≥ 0"),
    (dict(original=np.zeros((3, 64, 64, 3))), "original .* and y .* must have the same shape"),
])
def test_fig8_checks_everything_before_inpainting(pair, setting, message):
    images, known = pair
    args = dict(mu=0.5, inpaint_steps=3, refine_steps=3, progress=False) | setting
    with pytest.raises(InputError, match=message):
        fig8(images, known, Unusable(), Unusable(), **args)


def test_refine_steps_zero_is_not_the_budget(pair):
    images, known = pair
    with pytest.raises(InputError, match="refine_steps"):
        fig8(images, known, Unusable(), Unusable(), mu=0.5, inpaint_steps=2, refine_steps=0)


@pytest.mark.parametrize("bad, message", [
    (lambda y, k: (y[..., :2], k), r"y must have shape \(N, 64, 64, 3\)"),
    (lambda y, k: ((y + 1) * 127.5, k), "looks like 0–255"),
    (lambda y, k: (np.where(k[..., None], y, np.nan), k), "y holds NaN"),
    (lambda y, k: (y, np.ones((64, 64), bool)), "no missing pixel: nothing to inpaint"),
    (lambda y, k: (y, np.zeros((64, 64), bool)), "no known pixel"),
    (lambda y, k: (y, np.stack([k] * 3)), "3 masks for a batch of 2 images"),
])
def test_bad_arrays_into_the_pipeline_are_named(pair, bad, message):
    images, known = pair
    y, k = bad(images, known)
    with pytest.raises(InputError, match=message):
        fig8(y, k, Unusable(), Unusable(), mu=0.5, inpaint_steps=2, refine_steps=2)
