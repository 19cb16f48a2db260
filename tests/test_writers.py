"""Principles 2, 3 and 6 of issue 37: one writer per output folder (a lock naming the process; a
second writer refused in one line; a dead writer's lock taken over with a note), summaries merged
and written atomically, the file system failing politely (read-only, full, missing, forbidden:
one line naming the path, before long work; an optional cache skipped with a note), and
interrupts that leave every record written before them in the summary after a rerun."""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from inpaintkit import cli, data, evaluation, reports, storage, training
from inpaintkit.cli import main
from inpaintkit.errors import InputError

NAMES = [f"{i:06d}.jpg" for i in range(4)]
TINY = dict(patterns=(1, 5), steps=2, refine_steps=2, progress=False, batch_size=2)
WRITER = {"pid": 4242, "host": "labhost", "user": "ann", "command": "inpaintkit evaluate --out shared",
          "started": 0.0}


@contextmanager
def held_by_another(folder: Path, role: str = ""):
    """The folder's lock as another live process holds it: an flock on the file, its record inside."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (f".inpaintkit-{role}.lock" if role else storage.LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, json.dumps(WRITER).encode())
    try:
        yield path
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) if folder.exists() else []


# ----------------------------------------------------------------------------- the lock itself
def test_a_second_writer_is_refused_naming_the_first(tmp_path):
    with held_by_another(tmp_path / "out"):
        with pytest.raises(storage.FolderBusy) as caught:
            with storage.writer_lock(tmp_path / "out", "inpaintkit inpaint a.jpg --out out"):
                pytest.fail("entered a folder another process writes")
    message = str(caught.value)
    assert "is being written by pid 4242 on labhost" in message and "inpaintkit evaluate --out shared" in message
    assert "\n" not in message
    assert listing(tmp_path / "out") == []  # the other writer's lock is gone with it, nothing of ours is left


def test_the_lock_names_this_process_and_is_removed_at_the_end(tmp_path):
    out = tmp_path / "out"
    with storage.writer_lock(out, "inpaintkit demo --out out") as path:
        record = json.loads(path.read_text())
        assert record["pid"] == os.getpid() and record["command"] == "inpaintkit demo --out out"
        assert {"host", "user", "started"} <= set(record)
        (out / "result.txt").write_text("kept")
        with storage.writer_lock(out, "nested call of the same process"):
            pass  # the CLI around a library call: no self-conflict
        assert path.exists()
    assert listing(out) == ["result.txt"]


def test_a_refused_or_failed_writer_leaves_no_folder_it_created(tmp_path):
    with pytest.raises(RuntimeError):
        with storage.writer_lock(tmp_path / "new", "x"):
            raise RuntimeError("the run failed before writing anything")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("left", [json.dumps({"pid": 999_999_999, "host": "oldhost", "command": "inpaintkit train",
                                              "started": 0.0}), "{truncated"])
def test_a_dead_writers_lock_is_taken_over_with_a_note(tmp_path, capsys, left):
    out = tmp_path / "out"
    out.mkdir()
    (out / storage.LOCK_NAME).write_text(left)  # what a killed process leaves: the file, no flock on it
    with storage.writer_lock(out, "inpaintkit train --resume") as path:
        assert json.loads(path.read_text())["pid"] == os.getpid()
    note = capsys.readouterr().out
    assert note.startswith(f"note: {out}: took over") and "no longer running" in note
    assert ("pid 999999999 on oldhost" in note) == left.startswith("{\"")


def test_shards_of_one_run_write_side_by_side_but_never_with_a_whole_run(tmp_path):
    out = tmp_path / "out"
    with storage.writer_lock(out, "shard 1", role="shard-1-of-2"):
        with held_by_another(out, "shard-2-of-2"):
            pass  # another shard: fine
    with held_by_another(out, "shard-2-of-2"):
        with pytest.raises(storage.FolderBusy, match="shard-2-of-2"):
            with storage.writer_lock(out, "the whole run"):
                pass
        with pytest.raises(storage.FolderBusy):
            with storage.writer_lock(out, "shard 2 again", role="shard-2-of-2"):
                pass
    with held_by_another(out):
        with pytest.raises(storage.FolderBusy):
            with storage.writer_lock(out, "a shard", role="shard-1-of-2"):
                pass


# ----------------------------------------------------------------------------- every command is one writer
PHOTO = str(data.PORTRAITS_DIR / data._portraits()[0]["file"])
COMMANDS = {
    "train": lambda out, root: ["train", "--data", str(root), "--out", str(out)],
    "demo": lambda out, root: ["demo", "--patterns", "5", "--steps", "1", "--out", str(out)],
    "inpaint": lambda out, root: ["inpaint", PHOTO, "--pattern", "5", "--steps", "1", "--out", str(out)],
    "evaluate": lambda out, root: ["evaluate", "--data", str(root), "--steps", "1", "--out", str(out)],
    "evaluate --shard": lambda out, root: ["evaluate", "--data", str(root), "--steps", "1", "--shard", "1/2",
                                           "--out", str(out)],
    "figures": lambda out, root: ["figures", "--only", "patterns", "--out", str(out)],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_refuses_a_folder_another_process_writes(command, tmp_path, capsys):
    out = tmp_path / "out"
    with held_by_another(out):
        before = listing(out)
        code = main(COMMANDS[command](out, tmp_path / "celeba"))
        after = listing(out)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "is being written by pid 4242 on labhost" in err
    assert after == before


def test_report_only_waits_for_the_shards_to_finish(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "settings.json").write_text(json.dumps({"n": 1, "patterns": [1], "steps": 1, "refine_steps": 1,
                                                    "batch_size": 1, "seed": 0}))
    with held_by_another(out, "shard-2-of-2"):
        code = main(["evaluate", "--report-only", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "is being written by pid 4242" in err and "shard-2-of-2" in err


def test_the_library_writers_take_the_lock_too(models, faces, tmp_path):
    with held_by_another(tmp_path / "eval"):
        with pytest.raises(storage.FolderBusy):
            evaluation.evaluate(faces, NAMES, *models, tmp_path / "eval", **TINY)
        assert not (tmp_path / "eval" / "settings.json").exists()
    with held_by_another(tmp_path / "train"):
        with pytest.raises(storage.FolderBusy):
            training.train(np.zeros((8, 64, 64, 3), np.float32) + np.linspace(-1, 1, 64)[:, None, None],
                           tmp_path / "train", training.TrainConfig(epochs=1, batch_size=4, width=8),
                           progress=False)
        assert listing(tmp_path / "train") == [storage.LOCK_NAME]


# ----------------------------------------------------------------------------- the file system
def test_check_writable_names_a_read_only_folder(tmp_path, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(storage.tempfile, "mkstemp", read_only)
    with pytest.raises(storage.StorageError, match=rf"cannot write output folder {tmp_path}: the file system is "
                                                   r"read-only"):
        storage.check_writable(tmp_path)


def test_check_writable_names_a_full_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(storage.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10 << 30, 10 << 30, 4096))
    with pytest.raises(storage.StorageError, match=r"the disk is full \(0.0 MB free"):
        storage.check_writable(tmp_path)


@pytest.mark.parametrize("where, reason", [("file/out", "part of the path is a file, not a folder")])
def test_check_writable_names_a_path_through_a_file(tmp_path, where, reason):
    (tmp_path / "file").write_text("in the way")
    with pytest.raises(storage.StorageError, match=reason):
        storage.check_writable(tmp_path / where)


def test_a_write_that_meets_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("the last good summary")
    with pytest.raises(storage.StorageError, match=rf"cannot write {target}: the disk is full"):
        with storage.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_text() == "the last good summary" and listing(tmp_path) == ["summary.json"]


def test_a_bug_inside_an_atomic_write_keeps_its_own_error(tmp_path):
    with pytest.raises(OSError) as caught:
        with storage.atomic_path(tmp_path / "x.json") as tmp:
            raise OSError(errno.EINVAL, "a bug, not the disk")
    assert not isinstance(caught.value, storage.StorageError)


@pytest.mark.parametrize("command", ["demo", "inpaint", "evaluate", "figures", "train"])
def test_every_command_names_an_unwritable_out_before_any_work(command, tmp_path, capsys):
    (tmp_path / "file").write_text("in the way")
    out = tmp_path / "file" / "out"
    code = main(COMMANDS[command](out, tmp_path / "celeba"))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"{out}" in err and "part of the path is a file" in err
    assert (tmp_path / "file").read_text() == "in the way"


def test_a_read_only_disk_met_late_is_one_line_from_the_cli(monkeypatch, tmp_path, capsys):
    def late(args):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "x"))

    monkeypatch.setattr(cli, "_demo", late)
    assert main(["demo", "--out", str(tmp_path)]) == 2
    assert "Read-only file system" in capsys.readouterr().err


def test_a_checkpoint_that_meets_a_full_disk_is_one_line(tmp_path):
    import tensorflow as tf

    class FullDisk:
        def save(self, checkpoint_number):
            raise tf.errors.ResourceExhaustedError(None, None, "ckpt-4.data: No space left on device")

    with pytest.raises(storage.StorageError, match=r"cannot write checkpoint 4 in .*: the disk is full"):
        training._save_checkpoint(FullDisk(), 4, tmp_path)


def test_a_readme_without_markers_is_refused_before_the_run(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("no markers")
    code = main(["evaluate", "--data", str(tmp_path), "--readme", str(readme), "--steps", "1",
                 "--out", str(tmp_path / "out")])
    assert code == 2 and "lacks the markers" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("cache", ["a file", "under a file"])
def test_a_cache_that_cannot_be_written_is_skipped_with_a_warning(small_celeba, tmp_path, monkeypatch, cache):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    monkeypatch.setenv("INPAINTKIT_CACHE", str(blocker if cache == "a file" else blocker / "cache"))
    with pytest.warns(UserWarning, match="the decoded faces are not cached"):
        faces = data.load_celeba(small_celeba, "validation", progress=False)
    assert faces.shape == (4, 64, 64, 3)
    assert blocker.read_text() == "not a folder"


def test_a_read_only_cache_does_not_stop_a_run(small_celeba, tmp_path, monkeypatch):
    monkeypatch.setenv("INPAINTKIT_CACHE", str(tmp_path / "cache"))

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(storage.tempfile, "mkstemp", read_only)
    with pytest.warns(UserWarning, match="not cached: cannot write .*the file system is read-only"):
        first = data.load_celeba(small_celeba, "validation", progress=False)
    monkeypatch.undo()
    np.testing.assert_array_equal(first, data.load_celeba(small_celeba, "validation", progress=False, cache=False))


# ----------------------------------------------------------------------------- interrupts
def test_an_interrupted_cli_evaluation_keeps_its_batches_and_the_rerun_reports_them_all(small_celeba, tmp_path,
                                                                                        monkeypatch, capsys):
    out = tmp_path / "out"
    args = ["evaluate", "--data", str(small_celeba), "--n", "3", "--patterns", "5,6", "--steps", "1",
            "--batch-size", "2", "--no-table2", "--out", str(out)]
    real, calls = evaluation.run_batch, []

    def stopped_on_the_third(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(evaluation, "run_batch", stopped_on_the_third)
    assert main(args) == 130
    err = capsys.readouterr().err
    assert err.endswith("\ninpaintkit evaluate: interrupted\n")  # one line of its own, after the progress bar
    assert len(reports.batch_files(out)) == 2 and not (out / storage.LOCK_NAME).exists()
    monkeypatch.setattr(evaluation, "run_batch", real)
    assert main(args) == 0
    assert len(reports.collect(out)["rows"]) == 6  # 3 faces × 2 patterns: the 2 old batches and the rest


def test_an_interrupted_inpaint_keeps_every_record_in_the_summary_after_a_rerun(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    args = ["inpaint", PHOTO, PHOTO, "--pattern", "5", "--steps", "1", "--batch-size", "2", "--out", str(out)]
    real, calls = cli._merge_summary, []

    def stopped_after_the_second_record(folder, records):
        calls.append(1)
        if len(calls) == 2:  # the second photo's NAME.json is written, the summary not yet
            raise KeyboardInterrupt
        return real(folder, records)

    monkeypatch.setattr(cli, "_merge_summary", stopped_after_the_second_record)
    assert main(args) == 130
    stem = Path(PHOTO).stem
    assert sorted(json.loads((out / "metrics.json").read_text())) == [stem]
    monkeypatch.setattr(cli, "_merge_summary", real)
    assert main(args) == 0
    summary = json.loads((out / "metrics.json").read_text())
    assert sorted(summary) == sorted([stem, f"{stem}-2", f"{stem}-3", f"{stem}-4"])
    assert "merged back in" in capsys.readouterr().out
    record = summary[stem]
    for key in ("steps", "learning_rate", "budget", "seed", "precision", "weights", "mu", "hole"):
        assert key in record, key


def test_a_damaged_summary_is_kept_aside_and_rebuilt(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.png").write_bytes(b"png")
    (out / "a.json").write_text(json.dumps({"panel": "a.png", "after": {"MAE": 1.0}}))
    (out / "metrics.json").write_text('{"half')
    cli._recover_records(out)
    assert json.loads((out / "metrics.json").read_text()) == {"a": {"panel": "a.png", "after": {"MAE": 1.0}}}
    assert (out / "metrics.json.damaged").read_text() == '{"half'
    assert "kept as metrics.json.damaged" in capsys.readouterr().out
    (out / "metrics.json").write_text("[]")  # damaged again: the first damaged copy is not overwritten
    cli._recover_records(out)
    assert (out / "metrics.json.damaged").read_text() == '{"half' and (out / "metrics.json.damaged-2").read_text() == "[]"


def test_folder_moment_excludes_another_process_then_lets_it_in_and_leaves_no_file(tmp_path):
    """Two shards growing one run: the second waits for the first (here: gives up, named, after its
    wait), nests in its own process, and finds the lock gone once the first let go."""
    import subprocess
    import sys

    from inpaintkit import storage

    other = [sys.executable, "-c", "import sys; from inpaintkit import storage\n"
             "with storage.folder_moment(sys.argv[1], 'the other shard', wait=0.5): print('in')", str(tmp_path)]
    with storage.folder_moment(tmp_path, "this shard"):
        with storage.folder_moment(tmp_path, "this shard, nested"):
            refused = subprocess.run(other, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "FolderBusy" in refused.stderr and "this shard" in refused.stderr
    admitted = subprocess.run(other, capture_output=True, text=True, timeout=120)
    assert admitted.returncode == 0 and admitted.stdout.strip() == "in"
    assert list(tmp_path.iterdir()) == []
