"""The maintainer tools in tools/: what they refuse, and the text they write into the model card
and the docs (the runs behind them take hours)."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from inpaintkit import training, weights_io
from inpaintkit.errors import InputError

from helpers import ROOT, block_of, load_repo_module


def tool(name: str):
    return load_repo_module("tools", name)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """A width-8 run with tuning fits, so that it has checkpoints and a best/ generator."""
    folder = tmp_path_factory.mktemp("run")
    faces = np.random.default_rng(0).uniform(-1, 1, (32, 64, 64, 3)).astype(np.float32)
    config = training.TrainConfig(epochs=1, width=8, batch_size=16, seed=0)
    training.train(faces, folder, config, progress=False, tuning_faces=faces[:3], tune_every=1, tune_steps=2)
    return folder


def test_export_refuses_runs_that_cannot_ship_with_one_line_and_writes_nothing(small_run, tmp_path, monkeypatch,
                                                                                capsys):
    export = tool("export_weights")
    shipped = {p.name: p.read_bytes() for p in weights_io.WEIGHTS_DIR.iterdir() if p.is_file()}
    (tmp_path / "empty").mkdir()
    no_checkpoint = tmp_path / "no_checkpoint"
    no_checkpoint.mkdir()
    (no_checkpoint / "train_config.json").write_text("{}")
    for run, message in ((tmp_path / "empty", "is not a training run"), (no_checkpoint, "no complete checkpoint"),
                         (small_run, "trains width 8 networks, the kit ships width 64")):
        with pytest.raises(InputError, match=message):
            export.candidate(run)
        monkeypatch.setattr(sys, "argv", ["export_weights.py", "--run", str(run), "--data", str(tmp_path)])
        assert export.main() == 2
        err = capsys.readouterr().err
        assert message in err and "nothing was written" in err and len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in weights_io.WEIGHTS_DIR.iterdir() if p.is_file()} == shipped


def test_the_card_block_tells_both_stages_the_fits_and_the_files():
    export = tool("export_weights")
    meta = {"stages": ["5,575 updates (25 epochs) from scratch", "8,000 updates with horizontal flips from those weights"],
            "generator": "ema", "ema_decay": 0.999, "step": 8000, "batch_size": 64, "learning_rate": 2e-4,
            "betas": [0.5, 0.9], "seed": 0, "train_images": 14283, "wall_time_s": 7 * 3600,
            "heldout_fit": {"faces": 128, "steps": 500, "candidate": 430.0, "shipped_before": 549.3, "untrained": 4716.0},
            "tuning_fit": {"faces": 128, "steps": 500, "candidate": 470.0, "shipped_before": 595.0, "untrained": 4800.0}}
    manifest = {"files": {"generator.weights.h5": "a" * 64, "discriminator.weights.h5": "b" * 64}}
    text = export.card_block(meta, manifest, ROOT, 600)
    assert "1. 5,575 updates (25 epochs) from scratch\n2. 8,000 updates with horizontal flips" in text
    assert "| shipped (this one) | 430.0 | 470.0 |" in text
    assert "| first version (stage 1 alone) | 549.3 | 595.0 |" in text
    assert "EMA of G's weights (decay 0.999)" in text and "7.0 h on 2 CPU cores" in text and "a" * 16 in text
    assert "--max-steps 8000" in text


def test_the_shipped_weights_beat_the_first_version_on_both_fits_of_their_manifest():
    manifest = weights_io.read_manifest()
    if "tuning_fit" not in manifest:
        pytest.skip("the first version is shipped: it has nothing to beat")  # pragma: no cover
    for fit in (manifest["heldout_fit"], manifest["tuning_fit"]):
        assert fit["candidate"] < fit["shipped_before"] < fit["untrained"]
    card = (weights_io.WEIGHTS_DIR / "MODEL_CARD.md").read_text()
    assert manifest["files"]["generator.weights.h5"][:16] in block_of(card, "export")
    assert len(card.splitlines()) <= 100


def test_the_docs_state_the_fit_on_the_built_in_faces_as_measured():
    measure = tool("measure_fit_steps")
    expected = measure.builtin_sentence(weights_io.load_fit_steps())
    assert block_of((ROOT / "docs" / "training.md").read_text(), "portrait_fit").strip() == expected
    rows = {"200": {"trained": 736.1, "untrained": 2707.7}, "500": {"trained": 492.8, "untrained": 2706.9}}
    sentence = measure.builtin_sentence({"faces": {"all 36 built-in faces": rows}})
    assert "MSE 736 against 2,708 for an untrained G (200 steps, all 36; 493 against 2,707 at 500" in sentence


def test_measure_budgets_records_resumes_and_writes_its_blocks(small_celeba, tmp_path, monkeypatch, capsys):
    """The quality-against-steps tool on two tiny schedules: every (schedule, steps) is recorded, a
    rerun measures nothing again, and the docs table and README summary come from the record."""
    import dataclasses

    from inpaintkit import config, data
    from inpaintkit.inpainting import Geometric

    tool = load_repo_module("tools", "measure_budgets")
    monkeypatch.setattr(data, "EVALUATION_FACES", 2)  # four validation faces here: two left for tuning
    monkeypatch.setattr(tool, "RESULTS", tmp_path / "steps_curve.json")
    monkeypatch.setattr(tool, "FIGURE", tmp_path / "steps_curve.png")
    monkeypatch.setattr("inpaintkit.budget_curve.PAPER", ("constant 0.003 (paper)", 4))  # the reference
    tiny_lab = dataclasses.replace(config.Budget.lab(), inpaint_steps=2, refine_steps=2, learning_rate=0.01)
    monkeypatch.setattr(config.Budget, "lab", staticmethod(lambda: tiny_lab))
    monkeypatch.setattr(tool, "SCHEDULES", {"constant 0.003 (paper)": (0.003, (2, 4)), "constant 0.01": (0.01, (2,)),
                                            "0.03 → 0.003 geometric": (Geometric(0.03, 0.003), (2,))})
    docs, readme = tmp_path / "budgets.md", tmp_path / "README.md"
    docs.write_text("<!-- steps_curve:start -->\nold\n<!-- steps_curve:end -->\n")
    readme.write_text("<!-- lab_budget:start -->\nold\n<!-- lab_budget:end -->\n")
    argv = ["measure_budgets", "--data", str(small_celeba), "--faces", "2", "--record", str(docs), "--readme", str(readme)]
    monkeypatch.setattr("sys.argv", argv)
    tool.main()
    record = json.loads((tmp_path / "steps_curve.json").read_text())
    assert {n: sorted(r) for n, r in record["runs"].items()} == {
        "constant 0.003 (paper)": ["2", "4"], "constant 0.01": ["2"], "0.03 → 0.003 geometric": ["2"]}
    assert record["settings"]["faces_per_pattern"] == 2 and (tmp_path / "steps_curve.png").stat().st_size > 0
    assert "| constant 0.01 | 2 |" in block_of(docs.read_text(), "steps_curve")
    assert "the lab budget (2 + 2 steps at Adam step 0.01" in block_of(readme.read_text(), "lab_budget")
    capsys.readouterr()
    monkeypatch.setattr(tool, "finish", lambda *a, **k: pytest.fail("a recorded run was measured again"))
    tool.main()
    assert "steps: hole MAE after refinement" not in capsys.readouterr().out


def test_measure_budgets_refuses_before_measuring(small_celeba, tmp_path, monkeypatch, capsys):
    """Fewer tuning faces than --faces (their slices would mix the patterns), a damaged record, a
    --record file without markers or missing, --faces 0: one line each, nothing measured or written."""
    from inpaintkit import data

    tool = load_repo_module("tools", "measure_budgets")
    monkeypatch.setattr(data, "EVALUATION_FACES", 2)  # two tuning faces in small_celeba
    monkeypatch.setattr(tool, "RESULTS", tmp_path / "steps_curve.json")
    monkeypatch.setattr(tool, "semantic_inpaint", lambda *a, **k: pytest.fail("measured"))
    base = ["measure_budgets", "--data", str(small_celeba)]
    cases = [(["--faces", "3"], "measure_budgets: only 2 tuning faces in .*asked for 3 \\(--faces\\)"),
             (["--faces", "2", "--record", str(tmp_path / "none.md")], "none.md is not a file"),
             (["--faces", "2", "--record", str(tmp_path)], "is not a file")]
    for extra, words in cases:
        monkeypatch.setattr("sys.argv", base + extra)
        with pytest.raises(SystemExit, match=words):
            tool.main()
    (tmp_path / "steps_curve.json").write_text("[1, 2]")
    monkeypatch.setattr("sys.argv", base + ["--faces", "2"])
    with pytest.raises(SystemExit, match="steps_curve.json is damaged .*move it away"):
        tool.main()
    assert (tmp_path / "steps_curve.json").read_text() == "[1, 2]"
    monkeypatch.setattr("sys.argv", base + ["--faces", "0"])
    with pytest.raises(SystemExit) as stopped:
        tool.main()
    assert stopped.value.code == 2 and "--faces: must be at least 1, got 0" in capsys.readouterr().err
