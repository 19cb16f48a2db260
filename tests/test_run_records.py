"""Principle 1 of issue 37: an evaluation folder records everything that defines its numbers and
refuses a resume, a shard or a merge that differs, naming the key; every batch file carries its
settings; ``--report-only`` reads the folder, never the flags; only held-out partitions, by name
in any case. The committed run (recorded before these keys existed) still loads and reports."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from inpaintkit import data, evaluation, reports
from inpaintkit.cli import main
from inpaintkit.errors import InputError

NAMES = [f"{i:06d}.jpg" for i in range(4)]
TINY = dict(patterns=(1, 5), steps=2, refine_steps=2, progress=False, batch_size=2)


@pytest.fixture(scope="module")
def run(models, faces, tmp_path_factory):
    out = tmp_path_factory.mktemp("records") / "run"
    evaluation.evaluate(faces, NAMES, *models, out, data="/somewhere/celeba", partition="validation", **TINY)
    return out


def copy(run, tmp_path, name="copy"):
    target = tmp_path / name
    shutil.copytree(run, target)
    return target


def test_settings_record_everything_that_defines_the_run(run, faces, models):
    settings = json.loads((run / "settings.json").read_text())
    assert settings["schema"] == reports.SCHEMA
    for key in reports.RUN_KEYS + ("data", "budget", "n_asked"):
        assert key in settings, key
    assert settings["faces"] == evaluation.faces_fingerprint(faces)
    assert settings["learning_rate"] == 0.003 and settings["partition"] == "validation"
    assert settings["data"].endswith("celeba")
    for path in reports.batch_files(run):
        assert json.loads(path.read_text())["settings"] == settings  # every batch carries them


@pytest.mark.parametrize("change, key", [
    (dict(steps=3), "steps: 2 → 3"),
    (dict(refine_steps=1), "refine_steps: 2 → 1"),
    (dict(seed=1), "seed: 0 → 1"),
    (dict(learning_rate=0.01), "learning_rate: 0.003 → 0.01"),
    (dict(partition="test"), "partition: 'validation' → 'test'"),
    (dict(patterns=(1,)), "patterns: [1, 5] → [1]"),
    (dict(table2=False), "table2: True → False"),
    (dict(batch_size=1), "batch_size: 2 → 1"),
    (dict(precision="mixed_bfloat16"), "precision: 'float32' → 'mixed_bfloat16'"),
])
def test_a_resume_with_any_other_setting_is_refused_naming_the_key(run, faces, models, tmp_path, change, key):
    out = copy(run, tmp_path)
    before = sorted(p.name for p in out.rglob("*"))
    args = dict(TINY, data="/somewhere/celeba", partition="validation") | change
    with pytest.raises(InputError, match=key.replace("[", r"\[").replace("]", r"\]")):
        evaluation.evaluate(faces, NAMES, *models, out, **args)
    assert sorted(p.name for p in out.rglob("*")) == before  # nothing written, no lock left


def test_other_faces_are_refused_even_from_the_same_folder_name(run, faces, models, tmp_path):
    out = copy(run, tmp_path)
    other = faces[::-1].copy()  # the same four faces in another order: other pixels per index
    with pytest.raises(InputError, match="faces: "):
        evaluation.evaluate(other, NAMES, *models, out, data="/somewhere/celeba", partition="validation", **TINY)
    renamed = [f"x{name}" for name in NAMES]  # the same pixels under other file names
    with pytest.raises(InputError, match="face 0 is 000000.jpg in pattern1_batch000.json but x000000.jpg"):
        evaluation.evaluate(faces, renamed, *models, out, data="/somewhere/celeba", partition="validation", **TINY)


def test_the_same_faces_from_another_folder_resume_with_a_note(run, faces, models, tmp_path, capsys):
    out = copy(run, tmp_path)
    evaluation.evaluate(faces, NAMES, *models, out, data="/elsewhere/celeba", partition="validation", **TINY)
    assert "the same faces come from" in capsys.readouterr().out


def test_a_shard_made_elsewhere_with_other_settings_is_not_merged(run, faces, models, tmp_path):
    out = copy(run, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    evaluation.evaluate(faces, NAMES, *models, elsewhere, **(TINY | dict(seed=7)))
    stray = out / "batches" / "pattern1_batch001.json"
    stray.unlink()
    shutil.copy(elsewhere / "batches" / "pattern1_batch001.json", stray)
    with pytest.raises(InputError, match=r"pattern1_batch001\.json was made with other settings .*seed: 0 → 7"):
        reports.collect(out)
    with pytest.raises(InputError, match="seed: 0 → 7"):
        reports.write_reports(out)


def test_a_batch_without_settings_is_refused_in_a_new_run(run, tmp_path):
    out = copy(run, tmp_path)
    path = out / "batches" / "pattern5_batch000.json"
    batch = json.loads(path.read_text())
    del batch["settings"]
    path.write_text(json.dumps(batch))
    with pytest.raises(InputError, match="carries no settings"):
        reports.collect(out)


def test_batches_that_name_other_files_for_one_face_are_refused(run, tmp_path):
    out = copy(run, tmp_path)
    path = out / "batches" / "pattern5_batch000.json"
    batch = json.loads(path.read_text())
    batch["names"][1] = "999999.jpg"
    path.write_text(json.dumps(batch))
    with pytest.raises(InputError, match="face 1 is 000001.jpg in pattern1_batch000.json but 999999.jpg"):
        reports.collect(out)


def legacy(run, tmp_path):
    """The run as the kit wrote it before issue 37: settings without schema, data, partition, faces,
    learning rate (0.003 was not written); batches without settings; baselines without settings."""
    out = copy(run, tmp_path, "legacy")
    settings = json.loads((out / "settings.json").read_text())
    old = {k: settings[k] for k in ("n", "patterns", "steps", "refine_steps", "batch_size", "seed", "table2",
                                    "refine_init", "precision", "weights")}
    (out / "settings.json").write_text(json.dumps(old, indent=2))
    for path in reports.batch_files(out):
        batch = json.loads(path.read_text())
        del batch["settings"]
        path.write_text(json.dumps(batch))
    return out


def test_a_run_recorded_before_the_keys_existed_loads_reports_and_resumes(run, faces, models, tmp_path):
    out = legacy(run, tmp_path)
    settings = reports.read_settings(out)
    assert settings["schema"] == 1 and settings["learning_rate"] == 0.003 and "faces" not in settings
    reports.write_reports(out)
    assert "n = 8 image-pattern pairs" in (out / "table1.md").read_text()
    # Resumed by this version: the missing batch is computed, carries settings, and merges.
    (out / "batches" / "pattern5_batch001.json").unlink()
    evaluation.evaluate(faces, NAMES, *models, out, data="/somewhere/celeba", partition="validation", **TINY)
    assert "settings" in json.loads((out / "batches" / "pattern5_batch001.json").read_text())
    assert len(reports.collect(out)["rows"]) == 8
    # Other faces are still caught through the names the old batches carry.
    with pytest.raises(InputError, match="holds a run on other faces"):
        evaluation.evaluate(faces, [f"y{n}" for n in NAMES], *models, out, **TINY)
    # And a learning rate that is not the inferred 0.003 is refused.
    with pytest.raises(InputError, match="learning_rate: 0.003 → 0.01"):
        evaluation.evaluate(faces, NAMES, *models, out, **(TINY | dict(learning_rate=0.01)))


def test_a_run_recorded_before_schema_2_loads_with_its_inferred_keys():
    """The first generator's 100-face run (schema 1), kept as a record, loads with the keys it lacked."""
    from helpers import ROOT

    committed = reports.load_results(ROOT / "experiments" / "results" / "eval-first-generator")
    assert len(committed["rows"]) == 600 and committed["settings"]["schema"] == 1
    assert committed["settings"]["learning_rate"] == 0.003 and committed["settings"]["precision"] == "float32"
    assert set(committed["baseline_metrics"]) == {str(w) for w in range(1, 7)}


@pytest.mark.parametrize("name, canonical", [("validation", "validation"), ("Validation", "validation"),
                                             ("VAL", "validation"), (" test ", "test"), ("TEST", "test")])
def test_held_out_partitions_are_matched_in_any_case(name, canonical):
    assert data.evaluation_partition(name) == canonical


@pytest.mark.parametrize("name, why", [("train", "trained on"), ("TRAIN", "trained on"), ("Train ", "trained on"),
                                       ("all", "trained on"), ("ALL", "trained on"), ("tset", "no such partition"),
                                       ("", "no such partition")])
def test_other_partitions_are_refused(name, why):
    with pytest.raises(data.DataError, match=why):
        data.evaluation_partition(name)


def test_cli_refuses_a_training_partition_in_any_case_before_writing(tmp_path, capsys):
    for name in ("TRAIN", "Train", "all"):
        code = main(["evaluate", "--data", str(tmp_path), "--partition", name, "--out", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert code == 2 and "evaluate on held-out faces" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- --report-only
@pytest.fixture
def cli_run(small_celeba, tmp_path, monkeypatch):
    monkeypatch.delenv("INPAINTKIT_DATA", raising=False)
    out = tmp_path / "cli"
    assert main(["evaluate", "--data", str(small_celeba), "--n", "3", "--patterns", "6", "--steps", "1",
                 "--batch-size", "2", "--no-table2", "--out", str(out)]) == 0
    return out


def test_report_only_reads_the_folder_never_the_flags(cli_run, small_celeba, capsys):
    table = (cli_run / "table1.md").read_text()
    (cli_run / "table1.md").unlink()
    (cli_run / "baselines.json").unlink()
    capsys.readouterr()
    # No flag at all: the faces come from the data folder the run recorded.
    assert main(["evaluate", "--report-only", "--out", str(cli_run)]) == 0
    assert (cli_run / "table1.md").read_text() == table
    assert json.loads((cli_run / "baselines.json").read_text())["settings"]["n"] == 3
    # The same flags as the run: fine.
    assert main(["evaluate", "--report-only", "--n", "3", "--patterns", "6", "--steps", "1", "--batch-size", "2",
                 "--no-table2", "--partition", "VALIDATION", "--out", str(cli_run)]) == 0


@pytest.mark.parametrize("flags, message", [
    (["--n", "4"], "--n 4 differs from the run"),
    (["--partition", "test"], "--partition test differs"),
    (["--patterns", "1-6"], "--patterns"),
    (["--steps", "5"], "--steps 5 differs"),
    (["--refine-steps", "5"], "--refine-steps 5 differs"),
    (["--seed", "3"], "--seed 3 differs"),
    (["--batch-size", "1"], "--batch-size 1 differs"),
    (["--budget", "lab"], "--budget lab"),
    (["--precision", "mixed_bfloat16"], "--precision mixed_bfloat16 differs"),
    (["--data", "/nowhere"], "--data /nowhere differs"),
])
def test_report_only_refuses_a_flag_that_contradicts_the_folder(cli_run, capsys, flags, message):
    stamps = {p.name: p.stat().st_mtime_ns for p in cli_run.iterdir()}
    code = main(["evaluate", "--report-only", "--out", str(cli_run)] + flags)
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
    assert {p.name: p.stat().st_mtime_ns for p in cli_run.iterdir()} == stamps


def test_report_only_without_its_faces_keeps_matching_baselines_and_drops_stale_ones(cli_run, small_celeba,
                                                                                   tmp_path, capsys):
    shutil.move(small_celeba, tmp_path / "moved")  # the recorded data folder is gone
    stored = (cli_run / "baselines.json").read_bytes()
    assert main(["evaluate", "--report-only", "--out", str(cli_run)]) == 0
    assert (cli_run / "baselines.md").exists() and (cli_run / "baselines.json").read_bytes() == stored  # kept
    # A baselines.json of other faces is not tabled beside this run's rows, nor overwritten blindly.
    record = json.loads(stored)
    record["settings"]["faces"] = "0" * 64
    (cli_run / "baselines.json").write_text(json.dumps(record))
    (cli_run / "baselines.md").unlink()
    capsys.readouterr()
    assert main(["evaluate", "--report-only", "--out", str(cli_run)]) == 0
    out = capsys.readouterr().out
    assert "baselines cannot be recomputed" in out and "left out of the tables" in out
    assert not (cli_run / "baselines.md").exists()
    # --data may say where the moved faces are now; they are checked against the run, then used.
    assert main(["evaluate", "--report-only", "--data", str(tmp_path / "moved"), "--out", str(cli_run)]) == 0
    assert (cli_run / "baselines.md").exists()
    assert json.loads((cli_run / "baselines.json").read_text())["settings"]["faces"] == json.loads(stored)[
        "settings"]["faces"]


def test_a_legacy_run_checks_new_faces_against_its_baselines(cli_run, small_celeba, models, tmp_path):
    """Recorded before the faces' sha256: the same file names with other pixels are still caught."""
    settings = json.loads((cli_run / "settings.json").read_text())
    for key in ("schema", "faces", "data", "partition", "budget", "n_asked", "learning_rate"):
        settings.pop(key)
    (cli_run / "settings.json").write_text(json.dumps(settings))
    record = json.loads((cli_run / "baselines.json").read_text())
    del record["settings"]
    (cli_run / "baselines.json").write_text(json.dumps(record))
    faces, names = data.load_celeba_named(small_celeba, "validation", 3, progress=False)
    evaluation.check_recorded_faces(cli_run, faces, reports.read_settings(cli_run))  # the run's own: fine
    with pytest.raises(InputError, match="pixels differ from those its baselines.json was computed on"):
        evaluation.check_recorded_faces(cli_run, np.clip(faces + 0.1, -1, 1), reports.read_settings(cli_run))


def test_a_cli_resume_with_other_data_is_refused_naming_the_faces(cli_run, small_celeba, tmp_path, capsys):
    other = tmp_path / "other"
    shutil.copytree(small_celeba, other)
    first = sorted((other / data.IMAGE_FOLDER).iterdir())[0]
    first.write_bytes((other / data.IMAGE_FOLDER / "162772.png").read_bytes())  # face 0 changed
    code = main(["evaluate", "--data", str(other), "--n", "3", "--patterns", "6", "--steps", "1",
                 "--batch-size", "2", "--no-table2", "--out", str(cli_run)])
    err = capsys.readouterr().err
    assert code == 2 and "faces: " in err and err.count("\n") == 1
    code = main(["evaluate", "--data", str(small_celeba), "--partition", "test", "--n", "3", "--patterns", "6",
                 "--steps", "1", "--batch-size", "2", "--no-table2", "--out", str(cli_run)])
    err = capsys.readouterr().err
    assert code == 2 and "partition: 'validation' → 'test'" in err


def test_report_only_beside_a_cheaper_run_of_the_same_faces_writes_its_price(cli_run, small_celeba, tmp_path):
    cheaper = tmp_path / "cheaper"
    assert main(["evaluate", "--data", str(small_celeba), "--n", "3", "--patterns", "6", "--budget", "lab", "--steps",
                 "1", "--batch-size", "3", "--no-table2", "--out", str(cheaper)]) == 0
    assert main(["evaluate", "--report-only", "--out", str(cli_run), "--beside", str(cheaper)]) == 0
    summary = (cli_run / "summary.md").read_text()
    # --budget lab with --steps 1 is not the lab budget: the price names the steps it ran
    assert "**The price of the 1 + 1 steps budget** (" in summary and "min for the same faces in the run above):" in summary
    assert "(1 + 1 steps at Adam step 0.003) and a cheaper one (1 + 1 steps at Adam step 0.03)" in summary
    assert "| (6) random_70 | 3 |" in summary.split("The price of")[1]
    # A run of other faces is refused, naming the face, and the summary is left as it was.
    other = tmp_path / "other"
    assert main(["evaluate", "--data", str(small_celeba), "--partition", "test", "--n", "3", "--patterns", "6",
                 "--steps", "1", "--batch-size", "3", "--no-table2", "--out", str(other)]) == 0
    reports_before = {p.name: p.read_bytes() for p in cli_run.glob("*.*")}
    assert main(["evaluate", "--report-only", "--out", str(cli_run), "--beside", str(other)]) == 2
    assert {p.name: p.read_bytes() for p in cli_run.glob("*.*")} == reports_before  # no report half-rewritten


# ----------------------------------------------------------------------------- growing a run
def rows_by_face(rows) -> dict:
    return {(r["pattern"], r["index"]): r for r in rows}


def test_a_run_grows_to_more_faces_keeping_its_batches(faces, models, tmp_path):
    """A larger n on the same first faces keeps the finished batches (untouched) and adds the rest;
    the grown run's numbers are those of a run made at the larger n from the start."""
    args = dict(TINY, batch_size=1, partition="validation")
    out = tmp_path / "grown"
    evaluation.evaluate(faces[:1], NAMES[:1], *models, out, **args)
    stamps = {p.name: p.stat().st_mtime_ns for p in reports.batch_files(out)}
    evaluation.evaluate(faces[:2], NAMES[:2], *models, out, **args)
    grown = evaluation.evaluate(faces, NAMES, *models, out, **args)  # twice: 1 → 2 → 4 faces
    assert {p.name: p.stat().st_mtime_ns for p in reports.batch_files(out) if p.name in stamps} == stamps
    settings = reports.read_settings(out)
    assert settings["n"] == 4 and settings["faces"] == evaluation.faces_fingerprint(faces)
    assert [size["n"] for size in settings[reports.GROWN_FROM]] == [1, 2]
    whole = evaluation.evaluate(faces, NAMES, *models, tmp_path / "whole", **args)
    assert rows_by_face(grown["rows"]) == rows_by_face(whole["rows"])
    reports.write_reports(out)  # the tables merge the kept batches with the new ones
    assert "Faces per pattern: (1) 4, (5) 4" in (out / "summary.md").read_text()
    evaluation.evaluate(faces, NAMES, *models, out, **args)  # a resume at the grown n: nothing to do
    assert reports.read_settings(out)[reports.GROWN_FROM] == settings[reports.GROWN_FROM]


@pytest.mark.parametrize("first, then, batch_size, message", [
    (4, 2, 2, "a run may grow, not shrink"),
    (3, 4, 2, "not a whole number of batches of 2"),
])
def test_a_run_that_cannot_grow_is_refused_and_left_as_it_was(faces, models, tmp_path, first, then, batch_size,
                                                             message):
    out = tmp_path / "run"
    evaluation.evaluate(faces[:first], NAMES[:first], *models, out, **dict(TINY, batch_size=batch_size))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(InputError, match=message):
        evaluation.evaluate(faces[:then], NAMES[:then], *models, out, **dict(TINY, batch_size=batch_size))
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_growth_needs_the_same_first_faces_and_nothing_else_changed(faces, models, tmp_path):
    out = tmp_path / "run"
    evaluation.evaluate(faces[:2], NAMES[:2], *models, out, **TINY)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    other_first = np.concatenate([faces[2:], faces[:2]])
    with pytest.raises(InputError, match="its 2 faces are not the first 2 of these"):
        evaluation.evaluate(other_first, NAMES, *models, out, **TINY)
    with pytest.raises(InputError, match="other settings .*steps: 2 → 3"):  # a larger n and other steps
        evaluation.evaluate(faces, NAMES, *models, out, **dict(TINY, steps=3))
    same_count = np.clip(faces[:2] + 0.1, -1, 1)  # as many faces, other pixels: not growth either
    with pytest.raises(InputError, match="other faces"):
        evaluation.evaluate(same_count, NAMES[:2], *models, out, **TINY)
    legacy = json.loads((out / "settings.json").read_text())
    del legacy["faces"]  # recorded before the faces' sha256: which faces came first cannot be checked
    (out / "settings.json").write_text(json.dumps(legacy))
    before[out / "settings.json"] = (out / "settings.json").read_bytes()
    with pytest.raises(InputError, match="does not record its faces"):
        evaluation.evaluate(faces, NAMES, *models, out, **TINY)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_batch_of_a_smaller_run_merges_only_into_the_run_that_grew_from_it(faces, models, tmp_path):
    small = tmp_path / "small"
    evaluation.evaluate(faces[:2], NAMES[:2], *models, small, **TINY)
    whole = tmp_path / "whole"  # made at 4 faces from the start: it never held the small run
    evaluation.evaluate(faces, NAMES, *models, whole, **TINY)
    shutil.copy(small / "batches" / "pattern1_batch000.json", whole / "batches" / "pattern1_batch000.json")
    with pytest.raises(InputError, match=r"pattern1_batch000.json was made with other settings .*n: 4 → 2"):
        reports.collect(whole)
    grown = copy(small, tmp_path, "grown")
    evaluation.evaluate(faces, NAMES, *models, grown, **TINY)
    assert len(reports.collect(grown)["rows"]) == 8


@pytest.mark.parametrize("damage", [{"n": 2}, [{"n": "2", "faces": "0" * 64}], [{"faces": "0" * 64}], "2"])
def test_a_damaged_growth_record_is_named(run, tmp_path, damage):
    out = copy(run, tmp_path)
    settings = json.loads((out / "settings.json").read_text())
    (out / "settings.json").write_text(json.dumps(dict(settings, grown_from=damage)))
    with pytest.raises(InputError, match="grown_from is not a list"):
        reports.read_settings(out)


def test_evaluate_on_the_command_line_grows_a_run_with_a_larger_n(cli_run, small_celeba, capsys):
    """`evaluate --n 4` on the 3-face run of batches of 2 is refused (its last batch is short);
    the same with --n 2 → --n 4 on whole batches grows it, and --report-only then reports 4 faces."""
    flags = ["--data", str(small_celeba), "--patterns", "6", "--steps", "1", "--batch-size", "2", "--no-table2"]
    assert main(["evaluate", "--n", "4", "--out", str(cli_run)] + flags) == 2
    assert "not a whole number of batches" in capsys.readouterr().err
    out = cli_run.parent / "two"
    assert main(["evaluate", "--n", "2", "--out", str(out)] + flags) == 0
    assert main(["evaluate", "--n", "4", "--out", str(out)] + flags) == 0
    assert "grows from 2 to 4 faces; its 1 finished batches are kept" in capsys.readouterr().out
    assert main(["evaluate", "--report-only", "--out", str(out)]) == 0
    assert json.loads((out / "baselines.json").read_text())["settings"]["n"] == 4
    assert "Faces per pattern: (6) 4" in (out / "summary.md").read_text()


def test_the_price_compares_the_time_of_the_same_faces_when_the_reference_has_more(faces, models, tmp_path):
    """A reference grown past the cheaper run's faces: its time on the cheaper run's faces only."""
    reference, cheaper = tmp_path / "reference", tmp_path / "cheaper"
    evaluation.evaluate(faces, NAMES, *models, reference, **dict(TINY, table2=False))
    evaluation.evaluate(faces[:2], NAMES[:2], *models, cheaper, **dict(TINY, table2=False, learning_rate=0.03))
    for folder, seconds in ((reference, 1200.0), (cheaper, 120.0)):  # per batch of 2 faces
        for path in reports.batch_files(folder):
            batch = json.loads(path.read_text())
            path.write_text(json.dumps(dict(batch, seconds=seconds)))
    run = reports.write_reports(reference, beside=cheaper)
    assert run["seconds"] == 4 * 1200.0 and sum(run["face_seconds"].values()) == run["seconds"]
    summary = (reference / "summary.md").read_text()
    # 2 patterns × 1 batch of the cheaper run (4 min) against the reference's 2 patterns × faces 0–1 (40 min).
    assert "(4 min of compute against 40 min for the same faces in the run above):" in summary
    assert "| (1) random_square | 2 |" in summary.split("The price of")[1]


def test_the_price_refuses_a_cheaper_run_of_other_pixels_under_the_same_names(faces, models, tmp_path):
    reference, cheaper = tmp_path / "reference", tmp_path / "cheaper"
    evaluation.evaluate(faces[:2], NAMES[:2], *models, reference, **dict(TINY, table2=False))
    other_pixels = np.clip(faces[:2] + 0.1, -1, 1)
    evaluation.evaluate(other_pixels, NAMES[:2], *models, cheaper, **dict(TINY, table2=False, learning_rate=0.03))
    with pytest.raises(InputError, match="other faces .*sha256 of their first 2 faces differ"):
        reports.write_reports(reference, beside=cheaper)
    assert not (reference / "summary.md").exists()  # refused before any report was written


def test_the_price_says_when_a_batch_did_not_record_its_time(faces, models, tmp_path):
    reference, cheaper = tmp_path / "reference", tmp_path / "cheaper"
    evaluation.evaluate(faces[:2], NAMES[:2], *models, reference, **dict(TINY, table2=False))
    evaluation.evaluate(faces[:2], NAMES[:2], *models, cheaper, **dict(TINY, table2=False, learning_rate=0.03))
    path = reports.batch_files(reference)[0]
    batch = json.loads(path.read_text())
    del batch["seconds"]
    path.write_text(json.dumps(batch))
    reports.write_reports(reference, beside=cheaper)
    summary = (reference / "summary.md").read_text()
    assert "(compute time not recorded for every batch):" in summary and "min of compute" not in summary


def test_a_refused_growth_leaves_the_run_as_it_was_whatever_check_refuses_it(faces, models, tmp_path):
    """The checks of a growth (names, pixels) all run before settings.json is rewritten."""
    out = tmp_path / "run"
    evaluation.evaluate(faces[:2], NAMES[:2], *models, out, **TINY)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    other_names = [f"x{i}.jpg" for i in range(4)]  # the same pixels under other file names
    with pytest.raises(InputError, match="face 0 is 000000.jpg"):
        evaluation.evaluate(faces, other_names, *models, out, **TINY)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    evaluation.evaluate(faces[:2], NAMES[:2], *models, out, **TINY)  # the 2-face run resumes as before


def test_a_run_grows_only_when_asked(faces, models, tmp_path):
    out = tmp_path / "run"
    evaluation.evaluate(faces[:2], NAMES[:2], *models, out, **TINY)
    with pytest.raises(InputError, match="holds a run on 2 faces, not 4: pass --n 2 to resume it, or --n 4 to grow it"):
        evaluation.evaluate(faces, NAMES, *models, out, grow=False, **TINY)
    assert reports.read_settings(out)["n"] == 2


def test_fewer_faces_than_asked_for_are_named_as_missing_data_not_a_shrink(faces, models, tmp_path):
    out = tmp_path / "run"
    evaluation.evaluate(faces[:4], NAMES, *models, out, n_asked=4, **TINY)
    with pytest.raises(InputError, match="the data gives only 3 of the 4 asked for now"):
        evaluation.evaluate(faces[:3], NAMES[:3], *models, out, n_asked=4, **TINY)


def test_the_command_line_grows_a_run_only_when_n_is_given(cli_run, small_celeba, capsys):
    flags = ["--data", str(small_celeba), "--patterns", "6", "--steps", "1", "--batch-size", "2", "--no-table2"]
    out = cli_run.parent / "two"
    assert main(["evaluate", "--n", "2", "--out", str(out)] + flags) == 0
    capsys.readouterr()
    assert main(["evaluate", "--out", str(out)] + flags) == 2  # --n left out: its default would grow it
    err = capsys.readouterr().err
    assert "holds a run on 2 faces, not 4: pass --n 2 to resume it, or --n 4 to grow it" in err and err.count("\n") == 1
    assert reports.read_settings(out)["n"] == 2


@pytest.mark.parametrize("key, value", [("n", "2"), ("n", None), ("n", 2.5), ("n", True), ("n", 0), ("steps", -1),
                                        ("batch_size", "2"), ("seed", -1)])
def test_a_damaged_count_in_settings_is_named(run, tmp_path, key, value):
    out = copy(run, tmp_path)
    settings = json.loads((out / "settings.json").read_text())
    (out / "settings.json").write_text(json.dumps(dict(settings, **{key: value})))
    with pytest.raises(InputError, match=f"damaged: its {key} is"):
        reports.read_settings(out)


def test_a_growth_record_of_a_run_as_large_as_this_one_is_damaged(run, tmp_path):
    out = copy(run, tmp_path)
    settings = json.loads((out / "settings.json").read_text())
    entry = {"n": settings["n"], "faces": settings["faces"]}
    (out / "settings.json").write_text(json.dumps(dict(settings, grown_from=[entry])))
    with pytest.raises(InputError, match="grown_from is not a list of .* smaller runs"):
        reports.read_settings(out)


def test_a_batch_of_faces_outside_the_run_is_refused(run, tmp_path):
    out = copy(run, tmp_path)
    path = reports.batch_files(out)[0]
    batch = json.loads(path.read_text())
    batch["indices"] = [index + 4 for index in batch["indices"]]  # faces 4 and 5 of a 4-face run
    path.write_text(json.dumps(batch))
    with pytest.raises(InputError, match="holds face 4, outside the 4 faces of the run"):
        reports.collect(out)


@pytest.mark.parametrize("change, key", [(dict(seed=1), "seed"), (dict(partition="test"), "partition"),
                                         (dict(precision="mixed_bfloat16"), "precision")])
def test_the_price_refuses_a_cheaper_run_of_other_holes_starts_or_generator(faces, models, tmp_path, change, key):
    reference, cheaper = tmp_path / "reference", tmp_path / "cheaper"
    evaluation.evaluate(faces[:2], NAMES[:2], *models, reference, **dict(TINY, table2=False, partition="validation"))
    evaluation.evaluate(faces[:2], NAMES[:2], *models, cheaper,
                        **dict(TINY, table2=False, learning_rate=0.03, partition="validation") | change)
    with pytest.raises(InputError, match=f"other {key} than"):
        reports.write_reports(reference, beside=cheaper)
    assert not (reference / "summary.md").exists()


def test_the_price_survives_damaged_notes_of_the_cheaper_run(faces, models, tmp_path, capsys):
    """A budget that is not a name, a time too large for a float: a report, not a traceback."""
    reference, cheaper = tmp_path / "reference", tmp_path / "cheaper"
    evaluation.evaluate(faces[:2], NAMES[:2], *models, reference, **dict(TINY, table2=False))
    evaluation.evaluate(faces[:2], NAMES[:2], *models, cheaper, **dict(TINY, table2=False, learning_rate=0.03))
    settings = json.loads((cheaper / "settings.json").read_text())
    (cheaper / "settings.json").write_text(json.dumps(dict(settings, budget=["lab"])))
    path = reports.batch_files(cheaper)[0]
    path.write_text(json.dumps(dict(json.loads(path.read_text()), seconds=10 ** 400)))
    reports.write_reports(reference, beside=cheaper)
    summary = (reference / "summary.md").read_text()
    assert "**The price of the 2 + 2 steps budget** (compute time not recorded for every batch):" in summary


def test_a_refused_price_leaves_the_baselines_as_they_were(cli_run, small_celeba, tmp_path):
    other_seed = tmp_path / "other-seed"
    assert main(["evaluate", "--data", str(small_celeba), "--n", "3", "--patterns", "6", "--budget", "lab", "--steps",
                 "1", "--batch-size", "3", "--no-table2", "--seed", "1", "--out", str(other_seed)]) == 0
    (cli_run / "baselines.json").unlink()  # stale or missing: --report-only would compute it
    assert main(["evaluate", "--report-only", "--out", str(cli_run), "--beside", str(other_seed)]) == 2
    assert not (cli_run / "baselines.json").exists()


def test_a_price_of_faces_recorded_at_no_common_count_says_it_matched_names_only(faces, models, tmp_path, capsys):
    reference, cheaper = tmp_path / "reference", tmp_path / "cheaper"
    evaluation.evaluate(faces, NAMES, *models, reference, **dict(TINY, table2=False))  # made at 4 from the start
    evaluation.evaluate(faces[:2], NAMES[:2], *models, cheaper, **dict(TINY, table2=False, learning_rate=0.03))
    capsys.readouterr()
    reports.write_reports(reference, beside=cheaper)
    assert "matched by file name only" in capsys.readouterr().out
