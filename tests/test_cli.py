"""The command line: the main job (demo), and clear errors for bad arguments."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from inpaintkit import weights_io
from inpaintkit.cli import main


def test_demo_writes_the_figure_and_prints_metrics(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("INPAINTKIT_DATA", raising=False)  # the built-in sample faces
    assert main(["demo", "--patterns", "5,6", "--steps", "3", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "demo_pipeline.png").stat().st_size > 10_000
    assert "before" in out and "after" in out and "center" in out and "random_70" in out
    drawn_by = json.loads((tmp_path / "weights.json").read_text())
    assert drawn_by == {"demo_pipeline.png": weights_io.weights_fingerprint(*weights_io.load_pretrained())}


def test_committed_figures_were_drawn_by_the_shipped_weights():
    """Fails once new weights ship until `python -m inpaintkit figures` and `make run` redraw them."""
    figures = Path(__file__).resolve().parents[1] / "figures"
    drawn_by = json.loads((figures / "weights.json").read_text())
    # plots of numbers; steps_curve.png's record names its weights (tests/test_budget_curve.py)
    without_g = {"patterns.png", "table1_mae_change.png", "table1_psnr_change.png", "lr_comparison.png",
                 "steps_curve.png"}
    numbers_of_figures = {"gallery.json"} & {p.name for p in figures.glob("*.json")}  # the gallery's, also G's
    assert set(drawn_by) == ({p.name for p in figures.glob("*.png")} - without_g) | numbers_of_figures
    shipped = weights_io.weights_fingerprint(*weights_io.load_pretrained())
    stale = sorted(name for name, weights in drawn_by.items() if weights != shipped)
    assert not stale, f"drawn by other weights than the shipped ones: {stale}; run `python -m inpaintkit figures` and `make run`"


def test_evaluate_refuses_the_train_partition(tmp_path, capsys, celeba_root):
    code = main(["evaluate", "--data", str(celeba_root), "--partition", "train", "--out", str(tmp_path)])
    assert code == 2 and "never train" in capsys.readouterr().err


def test_bad_pattern_is_named(tmp_path, capsys):
    assert main(["demo", "--patterns", "9", "--out", str(tmp_path)]) == 2
    assert "unknown hole pattern" in capsys.readouterr().err


def test_figures_regenerates_every_part(tmp_path, capsys, celeba_root, monkeypatch):
    monkeypatch.setenv("INPAINTKIT_DATA", str(celeba_root))
    assert main(["figures", "--out", str(tmp_path), "--steps", "2", "--celeba-count", "2"]) == 0
    names = {p.name for p in tmp_path.glob("*.png")}
    assert {"patterns.png", "pipeline_six_patterns.png", "loss_curves.png", "blending.png",
            "steps_vs_refinement.png", "fig6_refinement_fixes.png", "fig10_refinement_fails.png"} <= names
    # CelebA panels stay local: their folder ignores everything in it.
    assert {p.name for p in (tmp_path / "celeba").glob("*.png")} == {"fig6_refinement_fixes.png",
                                                                      "fig10_refinement_fails.png"}
    assert (tmp_path / "celeba" / ".gitignore").read_text().strip() == "*"
    # which weights drew each figure of G's, for the staleness check; patterns.png needs no G
    # (and gallery.json, the gallery's numbers, also G's)
    assert set(json.loads((tmp_path / "weights.json").read_text())) == (names - {
        "patterns.png", "table1_mae_change.png", "table1_psnr_change.png"}) | {"gallery.json"}


def test_figures_names_an_unknown_part(tmp_path, capsys):
    assert main(["figures", "--out", str(tmp_path), "--only", "patterns,colour"]) == 2
    assert "unknown figure part" in capsys.readouterr().err


def test_report_only_needs_a_run_and_names_the_folder(tmp_path, capsys, celeba_root):
    code = main(["evaluate", "--data", str(celeba_root), "--n", "2", "--report-only", "--out", str(tmp_path)])
    assert code == 2 and "holds no evaluation run" in capsys.readouterr().err


def test_the_gallery_record_reads_back_and_its_changes_are_counted_per_pattern(tmp_path):
    from inpaintkit import figures
    from inpaintkit.errors import InputError

    record = {"steps": 2, "seed": 0, "faces": 3, "patterns": {"5": {
        "picks": {"best": "a", "median": "b", "worst": "c"},
        "hole_mae": {"a": 10.0, "b": 12.0, "c": 30.0},
        "hole_mae_before_refinement": {"a": 11.0, "b": 12.0, "c": 25.0},
        "image_mae": {"a": 2.0, "b": 3.0, "c": 6.0}}}}
    (tmp_path / "gallery.json").write_text(json.dumps(record))
    loaded = figures.load_gallery(tmp_path / "gallery.json")
    assert figures.gallery_changes(loaded) == {5: {"before": 12.0, "after": 12.0, "lowered": 1, "faces": 3}}
    with pytest.raises(InputError, match="no gallery at .*figures --only gallery"):
        figures.load_gallery(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text('{"patterns": {}}')
    with pytest.raises(InputError, match="bad.json is not a gallery record"):
        figures.load_gallery(tmp_path / "bad.json")


def test_a_gallery_record_with_other_faces_before_than_after_or_no_faces_is_refused(tmp_path):
    from inpaintkit import figures
    from inpaintkit.errors import InputError

    def record(before, after):
        return {"steps": 2, "seed": 0, "faces": 3, "patterns": {"5": {
            "hole_mae": after, "hole_mae_before_refinement": before, "image_mae": {}}}}

    for before, after in (({"a": 1.0, "d": 40.0}, {"a": 1.0}), ({"a": 1.0}, {"b": 1.0}), ({}, {}),
                          ({"a": 1.0}, {"a": float("nan")})):
        with pytest.raises(InputError, match="the gallery's pattern 5"):
            figures.gallery_changes(record(before, after))
    with pytest.raises(InputError, match="keyed by number"):
        figures.gallery_changes({"patterns": {"x": {}}})
    with pytest.raises(InputError, match="is a folder, not a gallery record"):
        figures.load_gallery(tmp_path)
    (tmp_path / "latin1.json").write_bytes(b'{"caf\xe9": 1}')
    with pytest.raises(InputError, match="cannot read .*latin1.json"):
        figures.load_gallery(tmp_path / "latin1.json")
    (tmp_path / "null.json").write_text('{"patterns": null, "steps": 2, "faces": 3}')
    with pytest.raises(InputError, match="null.json is not a gallery record"):
        figures.load_gallery(tmp_path / "null.json")
