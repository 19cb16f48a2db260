"""The measurement scripts' own arithmetic: the tables they write into the model card and the
README, the bf16 comparison, the flags that rebuild a recipe (the runs behind them take hours)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import ROOT, block_of, load_repo_module


def script(name: str):
    return load_repo_module("scripts", name)


def test_long_run_table_compares_the_better_generator_with_the_shipped_one():
    recipes = script("train_recipes")
    fits = {4000: {"mse_raw": 1000.0, "mse_ema": 900.0}, 2000: {"mse_raw": 1100.0, "mse_ema": 1200.0}}
    text = recipes.long_table("flip", fits, reference=1000.0)
    rows = [line for line in text.splitlines() if line.startswith("| 2") or line.startswith("| 4")]
    assert rows == ["| 2,000 | 1,100 | 1,200 | +10.0 % |", "| 4,000 | 1,000 | 900 | -10.0 % |"]  # sorted by step
    assert "1,000 under the same 200-step fit" in text


def test_long_run_from_the_shipped_weights_says_whose_updates_it_counts():
    recipes = script("train_recipes")
    text = recipes.long_table("flip_shipped", {2000: {"mse_raw": 900.0, "mse_ema": 850.0}}, reference=1000.0,
                              shipped_steps=5575)
    assert "horizontal flips, started from the shipped weights" in text
    assert "after the 5,575 that the shipped weights had already had" in text
    assert "| 2,000 | 900 | 850 | -15.0 % |" in text


def test_recording_fewer_fits_than_the_card_holds_is_refused_and_the_card_kept(tmp_path, monkeypatch, capsys):
    """A run restarted on another machine has only its first fits: its table must not replace the longer one."""
    recipes = script("train_recipes")
    monkeypatch.setenv("INPAINTKIT_CACHE", str(tmp_path / "cache"))
    card = tmp_path / "MODEL_CARD.md"
    card.write_text((ROOT / "inpaintkit" / "weights" / "MODEL_CARD.md").read_text())
    before = card.read_text()
    assert {2000, 4000} <= recipes.recorded_updates(card, "long_run_flip_shipped")
    run = tmp_path / "cache" / "runs" / "recipe-flip_shipped"
    run.mkdir(parents=True)
    (run / "tuning.json").write_text(json.dumps([{"step": 2000, "mse_raw": 900.0, "mse_ema": 850.0}]))
    monkeypatch.setattr("sys.argv", ["train_recipes.py", "--long", "flip_shipped", "--record", str(card)])
    with pytest.raises(SystemExit):
        recipes.main()
    error = capsys.readouterr().err
    assert "at updates 4,000" in error and "nothing was written" in error
    assert card.read_text() == before


def test_long_run_beside_another_from_the_same_start_compares_them_at_equal_updates():
    recipes = script("train_recipes")
    smooth = {2000: {"mse_raw": 950.0, "mse_ema": 800.0}, 4000: {"mse_raw": 900.0, "mse_ema": 850.0}}
    plain = {2000: {"mse_raw": 1000.0, "mse_ema": 880.0}}
    text = recipes.long_table("flip_shipped_smooth", smooth, reference=1000.0, shipped_steps=5575,
                              beside=("flip_shipped", plain))
    assert "D's target for real faces 0.9 (one-sided label smoothing)" in text
    assert "| updates | G | EMA G | best vs shipped G | `recipe-flip_shipped`: best | vs `recipe-flip_shipped` |" in text
    assert "| 2,000 | 950 | 800 | -20.0 % | 880 | -9.1 % |" in text
    assert "| 4,000 | 900 | 850 | -15.0 % | – | – |" in text  # no fit of the other run there yet


def test_a_long_run_made_by_branching_says_where_it_left_the_other_and_what_it_changed():
    recipes = script("train_recipes")
    source = {"flip": True, "init": "shipped", "epochs": 100}
    settings = {**source, "d_lr_ratio": 0.5, "branched_from": {"run": "/cache/copy", "step": 2000, "settings": source}}
    text = recipes.long_table("flip_shipped_dlr", {4000: {"mse_raw": 900.0, "mse_ema": 850.0}}, reference=1000.0,
                              shipped_steps=5575, beside=("flip_shipped", {4000: {"mse_raw": 950.0, "mse_ema": 860.0}}),
                              settings=settings)
    assert "D's Adam rate 0.5× G's" in text.splitlines()[0]  # the arm's recipe, in the kit's words
    assert ("its first 2,000 updates are those of the run it branched from, and from there it trains with "
            "D's Adam rate 0.5× G's (`--d-lr-ratio 0.5`).") in text
    assert "| 4,000 | 900 | 850 | -15.0 % | 860 | -1.2 % |" in text
    plain = recipes.long_table("flip_shipped", {}, reference=1000.0, settings=source)
    assert "branch" not in plain


@pytest.mark.parametrize("flags, kept, missing", [
    (["--long", "flip", "--branch", "g2"], "recipe-flip", "recipe-flip-g2"),
    (["--long", "flip_shipped_smooth", "--beside", "flip_shipped"], "recipe-flip_shipped_smooth", "recipe-flip_shipped"),
    (["--report"], "recipe-today", "recipe-flip")])
def test_recording_a_run_that_is_not_on_this_machine_is_refused_and_the_card_kept(tmp_path, monkeypatch, capsys,
                                                                                  flags, kept, missing):
    recipes = script("train_recipes")
    monkeypatch.setenv("INPAINTKIT_CACHE", str(tmp_path / "cache"))  # a machine without the runs
    card = tmp_path / "MODEL_CARD.md"
    card.write_text((ROOT / "inpaintkit" / "weights" / "MODEL_CARD.md").read_text())
    before = card.read_text()
    # one run of the two is here: only the missing one is named
    kept = tmp_path / "cache" / "runs" / kept
    kept.mkdir(parents=True)
    (kept / "tuning.json").write_text("[]")
    monkeypatch.setattr("sys.argv", ["train_recipes.py", *flags, "--record", str(card)])
    with pytest.raises(SystemExit):
        recipes.main()
    error = capsys.readouterr().err
    assert f"{missing}/tuning.json" in error and "not on this machine" in error
    assert f"{kept}/tuning.json" not in error
    assert card.read_text() == before


def test_branch_table_puts_the_decay_tail_beside_the_constant_run_at_equal_updates():
    recipes = script("train_recipes")
    constant = {20000: {"mse_raw": 800.0, "mse_ema": 760.0}, 22000: {"mse_raw": 790.0, "mse_ema": 750.0}}
    branch = {**constant, 22000: {"mse_raw": 700.0, "mse_ema": 720.0}, 22300: {"mse_raw": 690.0, "mse_ema": 680.0}}
    settings = {"epochs": 100, "train_images": 14283, "batch_size": 64}
    settings["lr_decay_start"] = 20200
    text = recipes.branch_table(constant, branch, reference=1000.0, settings=settings)
    rows = [line for line in text.splitlines() if line.startswith("| 2")]
    # the inherited 20,000 row is left out; 22,300 has no constant fit to compare with
    assert rows == ["| 22,000 | 750 | 700 | 720 | -6.7 % | -30.0 % |", "| 22,300 | – | 690 | 680 | – | -32.0 % |"]
    assert "`--epochs 100 --lr-decay-start 20200`" in text and "to 0 at update 22,300" in text


def test_branch_table_names_a_recipe_branch_and_where_it_left_the_run():
    recipes = script("train_recipes")
    constant = {12000: {"mse_raw": 890.0, "mse_ema": 817.0}, 14000: {"mse_raw": 880.0, "mse_ema": 800.0}}
    branch = {14000: {"mse_raw": 850.0, "mse_ema": 780.0}}
    settings = {"g_steps": 2, "branched_from": {"run": "/cache/runs/recipe-flip", "step": 12400}}
    text = recipes.branch_table(constant, branch, reference=1000.0, settings=settings)
    assert "2 G updates per D update (`--g-steps 2`)" in text and "at update 12,400" in text
    assert "| updates | constant: best | branch: G |" in text
    assert "| 14,000 | 800 | 850 | 780 | -2.5 % | -22.0 % |" in text
    both = recipes.branch_heading({"g_steps": 2, "augment": True, "branched_from": {"step": 12400}})[1]
    assert "(`--g-steps 2`) and D shown faces through DiffAugment's random colour and shift (`--augment`)" in both
    # Any other changed setting is named as it is, read against the run the branch left.
    turned_off = {"flip": False, "learning_rate": 1e-4, "branched_from": {"settings": {"flip": True}}}
    assert recipes.branch_changes(turned_off) == ["no flips", "learning_rate 0.0002 → 0.0001"]
    # The number of train faces follows from the dataset, so only the dataset is named.
    fewer = {"dataset": "/data:train:count=None:full-size", "train_images": 4283,
             "branched_from": {"settings": {"dataset": "/data:train:count=None", "train_images": 14283}}}
    assert recipes.branch_changes(fewer) == ["the full-size train files only (`--full-size-only`)"]
    with pytest.raises(ValueError, match="not a branch"):
        recipes.branch_heading({"g_steps": 2})


def test_ab_table_puts_each_arm_beside_todays_recipe_at_equal_updates():
    recipes = script("train_recipes")
    rows = {"today": {1000: {"mse_raw": 1400.0, "mse_ema": 1200.0}, 2000: {"mse_raw": 1100.0, "mse_ema": 1000.0}},
            "flip": {1000: {"mse_raw": 1500.0, "mse_ema": 1300.0}, 2000: {"mse_raw": 950.0, "mse_ema": 1050.0}}}
    lines = recipes.table(rows, 2000).splitlines()
    assert lines[2].endswith("| 1,100 | 1,000 | – |")
    assert lines[3].endswith("| 950 | 1,050 | -5.0 % |")  # best of G and EMA G: 950 against 1,000


def test_precision_comparison_reports_the_relative_gap_per_pattern():
    compare = script("compare_precision").compare
    rows = {"float32": [{"pattern": "1", "after_image_MAE": "10.0"}, {"pattern": "1", "after_image_MAE": "12.0"},
                        {"pattern": "5", "after_image_MAE": "8.0"}],
            "mixed_bfloat16": [{"pattern": "1", "after_image_MAE": "11.0"}, {"pattern": "1", "after_image_MAE": "11.0"},
                               {"pattern": "5", "after_image_MAE": "8.4"}]}
    result = compare(rows)
    assert result[1] == {"MAE_float32": 11.0, "MAE_mixed_bfloat16": 11.0, "relative_gap": 0.0}
    assert result[5]["relative_gap"] == pytest.approx(0.05)


def test_precision_table_says_when_it_measured_other_weights():
    table = script("compare_precision").readme_table
    record = {"faces": "validation 000101 … 000132 (32 tuning faces)", "steps": 1500, "weights": "ab" * 32,
              "patterns": {"2": {"MAE_float32": 5.0, "MAE_mixed_bfloat16": 5.1, "relative_gap": 0.02},
                           "10": {"MAE_float32": 4.0, "MAE_mixed_bfloat16": 4.0, "relative_gap": 0.0}},
              "worst_relative_gap": 0.02, "passes": False}
    text = table(record, shipped_weights="ab" * 32)
    assert text.index("| 2 | 5.000 | 5.100 | +2.00 % |") < text.index("| 10 |")  # patterns in number order
    assert "2.00 %: outside the 1 % bar." in text and "earlier generator" not in text
    assert "earlier generator (weights abababababab…)" in table(record, shipped_weights="cd" * 32)


def test_readme_states_the_bf16_check_as_measured():
    from inpaintkit import dcgan

    record = json.loads((ROOT / "results" / "precision_check.json").read_text())
    shipped = dcgan.weights_fingerprint(*dcgan.load_pretrained())
    expected = script("compare_precision").readme_table(record, shipped)
    assert block_of((ROOT / "README.md").read_text(), "precision_check").strip() == expected.strip()
    assert record["n"] >= 32 and record["steps"] == 1500 and len(record["patterns"]) == 6


def test_export_flags_rebuild_the_recipe():
    flags = script("export_weights").flags
    settings = {"epochs": 100, "seed": 0, "flip": True, "dataset": "/data:train:count=None", "g_steps": 1,
                "lr_decay_start": 20200}
    assert flags(settings) == "--epochs 100 --seed 0 --flip --lr-decay-start 20200"
    plain = {"epochs": 25, "seed": 0, "dataset": "/data:train:count=None:full-size", "g_steps": 2}
    assert flags(plain) == "--epochs 25 --seed 0 --full-size-only --g-steps 2"
    chosen = {"faces": 128, "every": 2000, "steps": 200}  # as _Tuning records it in best/manifest.json
    assert flags(plain, chosen).endswith("--g-steps 2 --tuning 128 --tune-every 2000 --tune-steps 200")
    branch = {"epochs": 100, "seed": 0, "augment": True, "branched_from": {"step": 12400, "settings": settings}}
    assert flags(branch) == ("--epochs 100 --seed 0 --flip --lr-decay-start 20200 --max-steps 12400, "
                             "then --branch-from that run with --epochs 100 --seed 0 --augment")
    bigger = {"epochs": 200, "seed": 0, "batch_size": 128, "learning_rate": 2e-4, "ema_decay": 0.9995}
    assert flags(bigger) == "--epochs 200 --seed 0 --batch-size 128 --ema-decay 0.9995"


def test_the_best_generator_records_the_tuning_that_chose_it(tmp_path):
    from inpaintkit import dcgan

    faces = np.random.default_rng(0).uniform(-1, 1, (32, 64, 64, 3)).astype(np.float32)
    config = dcgan.TrainConfig(epochs=1, width=8, batch_size=16, seed=0)
    dcgan.train(faces, tmp_path, config, progress=False, tuning_faces=faces[:3], tune_every=1, tune_steps=2)
    G, D, where, step, which, tuning = script("export_weights").candidate(tmp_path, 8)
    assert tuning == {"faces": 3, "every": 1, "steps": 2} and where.startswith("best/")


def test_readme_states_the_fit_on_the_built_in_faces_as_measured():
    from inpaintkit import dcgan
    expected = script("measure_fit_steps").builtin_sentence(dcgan.load_fit_steps())
    assert block_of((ROOT / "README.md").read_text(), "portrait_fit").strip() == expected
    rows = {"200": {"trained": 736.1, "untrained": 2707.7}, "500": {"trained": 492.8, "untrained": 2706.9}}
    sentence = script("measure_fit_steps").builtin_sentence({"faces": {"all 36 built-in faces": rows}})
    assert "MSE 736 against 2,708 for an untrained G (200 steps, all 36; 493 against 2,707 at 500" in sentence


def test_confirm_table_puts_each_best_generator_beside_the_shipped_g_at_the_criterions_budget():
    recipes = script("train_recipes")
    fits = {"shipped G": {200: 965.0, 500: 595.0}, "`recipe-flip`": {200: 817.0, 500: 446.0}}
    text = recipes.confirm_table(fits, {"`recipe-flip`": " (EMA G at 12,000)"}, 500)
    assert "| shipped G | 965 | 595 | – |" in text
    assert "| `recipe-flip` (EMA G at 12,000) | 817 | 446 | -25.0 % |" in text


def test_model_card_states_the_generator_check_as_measured():
    from inpaintkit import dcgan
    from inpaintkit.reports import generator_comparison_markdown, load_generator_check, load_results

    record = load_generator_check()
    card = (ROOT / "inpaintkit" / "weights" / "MODEL_CARD.md").read_text()
    expected = generator_comparison_markdown(record)
    assert block_of(card, "refinement_by_generator").strip() == expected.strip()
    # The shipped G's side is the committed evaluation of the shipped weights; the candidate is another G.
    assert record["shipped_weights"] == load_results()["settings"]["weights"] != record["weights"]
    assert record["shipped_weights"] == dcgan.weights_fingerprint(*dcgan.load_pretrained())
    assert all(entry["n"] >= 50 for entry in record["patterns"].values()) and len(record["patterns"]) == 5


def test_readme_quotes_the_generator_check_as_recorded():
    from inpaintkit.reports import load_generator_check

    record = load_generator_check()
    readme = " ".join((ROOT / "README.md").read_text().split())
    for side in ("candidate", "shipped"):
        changes = sorted(entry[side]["relative"] for entry in record["patterns"].values())
        assert f"{changes[-1]:+.1f} to {changes[0]:+.1f} %".replace("-", "−") in readme
    clear = sum(entry["refinement_difference"][2] < 0 for entry in record["patterns"].values())
    assert clear == 4 and "by a margin clear of zero on four" in readme
    assert all(entry["refinement_difference"][0] < 0 for entry in record["patterns"].values())  # "more on all five"
