"""Tables 1 and 2: per-image rows, resumable batches, batch-size independence, bootstrap."""
from __future__ import annotations

import json

import numpy as np
import pytest

from inpaintkit import evaluation, masks, reports, weights_io
from inpaintkit.errors import InputError
from inpaintkit.shortcomings import MEASURES


NAMES = [f"{i:06d}.jpg" for i in range(4)]
RUN = dict(patterns=(1, 5), steps=3, refine_steps=3, progress=False)


def test_rows_tables_and_resume(models, faces, tmp_path):
    G, D = models
    run = evaluation.evaluate(faces, NAMES, G, D, tmp_path, batch_size=2, **RUN)
    assert len(run["rows"]) == 8
    assert {r["pattern"] for r in run["rows"]} == {1, 5}
    centre = [r for r in run["rows"] if r["pattern"] == 5]
    assert all("inpaint3000_image_MAE" in r for r in centre)
    batches = sorted((tmp_path / "batches").glob("*.json"))
    assert len(batches) == 4
    # A stopped run: remove one finished batch and keep the others' files untouched.
    stamps = {p.name: p.stat().st_mtime_ns for p in batches}
    batches[1].unlink()
    again = evaluation.evaluate(faces, NAMES, G, D, tmp_path, batch_size=2, **RUN)
    assert len(again["rows"]) == 8
    for p in sorted((tmp_path / "batches").glob("*.json")):
        if p.name != batches[1].name:
            assert p.stat().st_mtime_ns == stamps[p.name]
    key = lambda r: (r["pattern"], r["index"])
    for a, b in zip(sorted(run["rows"], key=key), sorted(again["rows"], key=key)):
        assert a["after_image_MAE"] == b["after_image_MAE"]
    reports.write_reports(tmp_path)
    table1 = (tmp_path / "table1.md").read_text()
    assert "paper (5)" in table1 and "15.18 → 13.68" in table1
    assert "inpainting 3000" in (tmp_path / "table2.md").read_text()
    assert (tmp_path / "per_image.csv").read_text().count("\n") == 9
    measures = (tmp_path / "shortcomings.md").read_text()
    assert "| (1) " in measures and "| (5) " in measures
    for key in MEASURES:
        assert all(f"before_{key}" in r and f"after_{key}" in r for r in run["rows"])
    summary = (tmp_path / "summary.md").read_text()
    assert "Faces per pattern: (1) 4, (5) 4; 3 inpainting + 3 refinement steps" in summary
    assert "paper (5)" in summary and "inpainting 1500 + refinement 1500 | 4 |" in summary


def test_every_metric_change_gets_an_interval_in_tables_1_and_2():
    rng = np.random.default_rng(0)
    rows = []
    for i in range(40):
        base = {"MAE": 10 + rng.normal(), "MSE": 300 + rng.normal(), "PSNR": 20 + rng.normal(), "MSSIM": 0.8}
        row = {"pattern": 5, "index": i}
        for stage, shift in (("before", 0.0), ("inpaint3000", -0.1), ("after", -1.0)):
            row.update({f"{stage}_image_{k}": v + shift * (1 if k != "PSNR" else -1) for k, v in base.items()})
        rows.append(row)
    table1 = reports.table1_deltas_markdown(rows)
    assert "| (5) center: refined − inpainted | 40 | -1.00 [-1.00, -1.00] | -1.0 [-1.0, -1.0] | +1.00" in table1
    table2 = reports.table2_deltas_markdown(rows).splitlines()
    assert len(table2) == 5 and table2[2].startswith("| inpainting 3000 − inpainting 1500 | 40 | -0.10 [")
    assert "| -0.90 [-0.90, -0.90] |" in table2[4]  # refinement − 3000 steps
    assert reports.table2_deltas_markdown([r | {"pattern": 1} for r in rows]) == ""


def test_paste_summary_replaces_only_the_block_between_the_markers():
    readme = f"intro\n{reports.README_START}\nold numbers\n{reports.README_END}\n\nprose\n"
    pasted = reports.paste_summary(readme, "new numbers\n")
    assert pasted == f"intro\n{reports.README_START}\nnew numbers\n{reports.README_END}\n\nprose\n"
    assert reports.paste_summary(pasted, "new numbers\n") == pasted
    with pytest.raises(ValueError, match="lacks the markers"):
        reports.paste_summary("no markers here", "x")


def test_the_readme_shows_the_committed_run_verbatim():
    """The README's numbers are copied from the committed run, never typed by hand."""
    from helpers import ROOT

    summary = ROOT / "results" / "eval" / "summary.md"
    readme = (ROOT / "README.md").read_text()
    assert summary.exists(), "results/eval/summary.md is missing: run `inpaintkit evaluate --report-only`"
    assert f"{reports.README_START}\n{summary.read_text()}{reports.README_END}" in readme


def test_shortcomings_table_means_and_missing_mirror():
    rows = [{"pattern": 4, **{f"{s}_{k}": 0.5 for s in ("before", "after") for k in MEASURES}}
            for _ in range(2)]
    rows[0].update(before_consensus=10.0, after_consensus=4.0)
    rows[1].update(before_consensus=20.0, after_consensus=6.0)
    rows += [{"pattern": 5, **{f"{s}_{k}": float("nan") if k == "mirror_color_gap" else 1.0
                               for s in ("before", "after") for k in MEASURES}}]
    table = reports.shortcomings_markdown(rows).splitlines()
    assert len(table[0].replace("\\|", "").split("|")) == len(MEASURES) + 4  # one column per measure
    assert table[2].startswith("| (4) left | 2 | 15.0 → 5.0 |")
    assert table[3].startswith("| (5) center | 1 |") and table[3].endswith("| – |")


def test_numbers_do_not_depend_on_the_batch_size(models, faces, tmp_path):
    G, D = models
    a = evaluation.evaluate(faces, NAMES, G, D, tmp_path / "a", batch_size=4, **RUN)["rows"]
    b = evaluation.evaluate(faces, NAMES, G, D, tmp_path / "b", batch_size=1, **RUN)["rows"]
    key = lambda r: (r["pattern"], r["index"])
    for x, y in zip(sorted(a, key=key), sorted(b, key=key)):
        assert x["before_image_MSE"] == pytest.approx(y["before_image_MSE"], rel=1e-4)


def test_a_run_refuses_other_settings(models, faces, tmp_path):
    G, D = models
    evaluation.evaluate(faces[:2], NAMES[:2], G, D, tmp_path, batch_size=2, **RUN)
    with pytest.raises(ValueError, match="other settings"):
        evaluation.evaluate(faces[:2], NAMES[:2], G, D, tmp_path, batch_size=1, **RUN)
    assert json.loads((tmp_path / "settings.json").read_text())["batch_size"] == 2


def test_a_run_refuses_other_weights_instead_of_mixing_two_generators(models, faces, tmp_path):
    from inpaintkit import dcgan

    G, D = models
    evaluation.evaluate(faces[:2], NAMES[:2], G, D, tmp_path, batch_size=2, **RUN)
    other = dcgan.build_generator(8)
    other.set_weights([w + 0.01 for w in G.get_weights()])  # same shapes, other values
    with pytest.raises(ValueError, match="made with other weights"):
        evaluation.evaluate(faces[:2], NAMES[:2], other, D, tmp_path, batch_size=2, **RUN)
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert saved["weights"] == weights_io.weights_fingerprint(G, D)
    del saved["weights"]  # a run from before the weights were recorded: which G made it is unknown
    (tmp_path / "settings.json").write_text(json.dumps(saved))
    with pytest.raises(ValueError, match="not recorded"):
        evaluation.evaluate(faces[:2], NAMES[:2], G, D, tmp_path, batch_size=2, **RUN)


def test_the_committed_tables_were_computed_with_the_shipped_weights():
    """Fails once new weights ship until `evaluate` has re-run Tables 1 and 2 with them."""
    from helpers import ROOT

    committed = reports.load_results(ROOT / "results" / "eval")
    assert committed["settings"], "results/eval holds no run"
    assert evaluation.made_with_shipped_weights(committed["settings"]), (
        "results/eval was computed with other weights than inpaintkit/weights: re-run "
        "`python -m inpaintkit evaluate` into a fresh --out, then `--report-only --readme README.md`")
    assert weights_io.weights_fingerprint(*weights_io.load_pretrained()) == committed["settings"]["weights"]


def test_bootstrap_interval_covers_a_clear_shift_and_zero_for_noise():
    rng = np.random.default_rng(0)
    before = rng.normal(10, 1, 200)
    mean, low, high = reports.bootstrap_ci(before, before - 2 + rng.normal(0, 0.1, 200))
    assert low < mean < high < 0 and mean == pytest.approx(-2, abs=0.05)
    mean, low, high = reports.bootstrap_ci(before, before + rng.normal(0, 1, 200))
    assert low < 0 < high


def test_baseline_fills_keep_known_pixels_and_fill_as_named():
    rng = np.random.default_rng(1)
    ramp = np.broadcast_to(np.linspace(-0.8, 0.8, 64, dtype=np.float32)[None, :, None], (64, 64, 3))
    faces = np.stack([ramp, rng.uniform(-1, 1, (64, 64, 3)).astype(np.float32)])
    known = evaluation.masks_for(5, range(2), seed=0)
    fills = evaluation.baseline_fills(faces, known)
    for fill in fills.values():
        assert np.array_equal(fill[known], faces[known])
    hole = ~known[1]
    assert np.all(fills["grey"][1][hole] == 0)
    assert np.allclose(fills["mean_colour"][1][hole], faces[1][known[1]].mean(axis=0), atol=1e-6)
    # The smoothest surface through the border of a linear ramp is the ramp itself.
    assert np.allclose(fills["smooth"][0], ramp, atol=1e-5)


def test_baselines_are_written_and_tabled_beside_the_gan(models, faces, tmp_path):
    G, D = models
    evaluation.evaluate(faces, NAMES, G, D, tmp_path, batch_size=4, **RUN)
    stored = evaluation.evaluate_baselines(faces, tmp_path, patterns=(1, 5))
    assert set(stored) == {"1", "5"} and len(stored["5"]["smooth"]["MAE"]) == len(faces)
    reports.write_reports(tmp_path)
    table = (tmp_path / "baselines.md").read_text()
    assert "| (1) random_square |" in table and "| (5) center |" in table
    loaded = reports.load_results(tmp_path)
    assert loaded["baselines"] == table and loaded["baseline_metrics"] == stored


def test_baselines_are_compared_on_the_faces_the_run_has_finished():
    per_face = {"MAE": [1.0, 2.0, 3.0, 4.0], "MSE": [1.0, 4.0, 9.0, 16.0], "PSNR": [40.0] * 4, "MSSIM": [0.9] * 4}
    baselines = {"1": {name: per_face for name in reports.BASELINES}}
    metrics = {f"{stage}_image_{k}": v for stage in ("before", "after")
               for k, v in (("MAE", 0.5), ("MSE", 1.0), ("PSNR", 48.0), ("MSSIM", 0.95))}
    rows = [{"pattern": 1, "index": i, **metrics} for i in (0, 2)]  # faces 1 and 3 not finished yet
    maes = reports.baseline_maes(baselines, rows)
    assert maes[1]["grey"] == pytest.approx(2.0)  # mean of faces 0 and 2, not of all four
    assert maes[1]["inpainted"] == maes[1]["refined"] == pytest.approx(0.5)
    assert "| 2.00 / " in reports.baselines_markdown(baselines, rows)
    assert "| 2.50 / " in reports.baselines_markdown(baselines, [])  # no run yet: every face


def test_hole_only_ratio_separates_errors_in_the_hole_from_errors_everywhere():
    rng = np.random.default_rng(0)
    known = evaluation.masks_for(1, [0], seed=0)[0]
    f = 1 - known.mean()
    errors = rng.uniform(0, 50, (64, 64))
    in_hole = np.where(known, 0.0, errors)
    assert reports.hole_only_ratio(np.abs(in_hole).mean(), (in_hole ** 2).mean(), f) <= 1
    # The same error of 7 on every pixel: MAE 7, MSE 49, ratio 1/√f.
    assert reports.hole_only_ratio(7.0, 49.0, f) == pytest.approx(1 / np.sqrt(f))
    # The paper's Table 1 fails the check on every pattern, before and after refinement.
    for which, stages in reports.PAPER_TABLE1.items():
        for mae, mse, _, _ in stages:
            assert reports.hole_only_ratio(mae, mse, masks.pattern(which).missing_fraction) > 1


def test_effect_sizes_put_our_relative_change_beside_the_papers():
    def row(which, before, after):
        return {"pattern": which, **{f"{stage}_image_{name}": (mae if name == "MAE" else 1.0)
                                     for stage, mae in (("before", before), ("after", after))
                                     for name in ("MAE", "MSE", "PSNR", "MSSIM")}}
    rows = [row(1, 4.0, 3.8), row(1, 6.0, 5.7), row(5, 5.0, 4.9)]
    sizes = reports.effect_sizes(rows)
    assert sizes[1]["ours"] == pytest.approx((5.0, 4.75)) and sizes[1]["paper"] == (16.20, 14.04)
    assert reports.relative_change(sizes[1]["ours"]) == pytest.approx(-5.0)
    text = reports.effect_size_summary(sizes)
    # pattern 1: -5.0 % (-0.25); pattern 5: -2.0 % (-0.10); the paper: -13.3 % and -9.9 %
    assert text.startswith("patterns (1)–(5): refinement changes our MAE by -5.0 to -2.0 % (-0.25 to -0.10)")
    assert "the paper's by -13.3 to -9.9 % (-2.16 to -1.50)" in text
    assert "ours is 0.20–0.38 of the paper's relative change" in text  # 2.0/9.88 and 5.0/13.33
    assert "3.0–3.2× ours" in text  # 15.18/5.0 and 16.2/5.0
    assert reports.effect_size_summary(sizes, patterns=(2, 3)) == "(no rows for these patterns yet)"


def test_key_numbers_are_computed_from_the_rows_not_quoted():
    """findings_markdown: each line is recomputed from the run, so a new run cannot leave a stale number."""
    rng = np.random.default_rng(0)

    def row(which, index, gain):
        mae = 5.0 + rng.uniform(0, 1)
        out = {"pattern": which, "index": index, "before_consensus": 10.0, "after_consensus": 10.0 - 5 * gain}
        for stage, value in (("before", mae), ("after", mae - gain), ("inpaint3000", mae)):
            out.update({f"{stage}_image_MAE": value, f"{stage}_image_MSE": 4 * value ** 2,
                        f"{stage}_image_PSNR": 30.0 - value, f"{stage}_image_MSSIM": 1 - value / 100})
        return out
    rows = [row(w, i, 0.5 if w == 1 else 0.0) for w in (1, 5, 6) for i in range(20)]
    smooth = {1: 6.0, 5: 1.0, 6: 6.0}  # our fills' MAE lies in 5–6: only the smooth fill of (5) beats them
    baselines = {str(w): {name: {m: [smooth[w] if name == "smooth" else 1e3] * 20 for m in ("MAE", "MSE", "PSNR", "MSSIM")}
                          for name in reports.BASELINES} for w in (1, 5, 6)}
    text = reports.findings_markdown(rows, baselines)
    # (1) improves every metric; (5) changes nothing: 4 of 8 changes have the paper's sign, surely
    assert "Refinement on (1), (5): 4 of 8 changes" in text
    assert "drops by 0–25 % on (1), (5)" in text  # consensus 10 → 7.5 on (1)
    assert "Pattern (6): ΔMAE +0.00 [+0.00, +0.00]" in text
    assert "3000 − 1500 inpainting steps +0.00 [+0.00, +0.00]" in text
    assert "on 2 of 3 patterns" in text  # not on (5)
    assert "scores MAE 1000.00 on (1), where the paper reports 16.2" in text
    assert text.endswith("(smooth) scores MAE 6.00, against " + f"{np.mean([r['after_image_MAE'] for r in rows if r['pattern'] == 6]):.2f} refined.\n")
    assert reports.findings_markdown([], None) == ""


def test_refinement_changes_are_after_minus_before_per_pattern():
    def row(which, mae_before, mae_after, consensus_before, consensus_after):
        out = {"pattern": which, "before_consensus": consensus_before, "after_consensus": consensus_after}
        for stage, mae in (("before", mae_before), ("after", mae_after)):
            out.update({f"{stage}_image_MAE": mae, f"{stage}_image_MSE": mae ** 2, f"{stage}_image_PSNR": 0.0,
                        f"{stage}_image_MSSIM": 0.5})
        return out
    rows = [row(1, 10.0, 8.0, 30.0, 10.0), row(1, 20.0, 18.0, 40.0, 20.0), row(6, 5.0, 5.0, 9.0, 9.0)]
    changes = reports.refinement_changes(rows)
    assert changes[1]["MAE"] == pytest.approx(-2.0) and changes[1]["consensus"] == pytest.approx(-20.0)
    assert changes[1]["PSNR"] > 0 and changes[6]["MAE"] == 0 and changes[6]["MSSIM"] == 0




def _rows(pattern: int, files, hole, image):
    return [{"pattern": pattern, "index": i, "file": f, "after_missing_MAE": h, "after_image_MAE": w}
            for i, (f, h, w) in enumerate(zip(files, hole, image))]


def test_the_price_of_a_cheaper_budget_pairs_each_face_with_itself():
    paper = _rows(1, ["a.jpg", "b.jpg"], [20.0, 30.0], [5.0, 7.0]) + _rows(6, ["a.jpg"], [10.0], [6.0])
    lab = _rows(1, ["a.jpg", "b.jpg"], [21.0, 30.0], [5.0, 7.4])
    settings = {"steps": 1500, "refine_steps": 1500}
    text = reports.budget_price_markdown(paper, lab, settings, {"steps": 300, "refine_steps": 300,
                                                                "learning_rate": 0.01})
    assert "1500 + 1500 steps at Adam step 0.003" in text and "300 + 300 steps at Adam step 0.01" in text
    assert "| (1) random_square | 2 | 25.00 → 25.50 | +2.0 % | 6.00 → 6.20 | +3.3 % |" in text
    assert "(6)" not in text  # only the patterns both runs hold
    assert reports.budget_price(paper, lab) == {1: {"missing": (25.0, 25.5), "image": (6.0, 6.2), "n": 2}}
    # A face counted twice, in either run, would weigh twice: refused, naming it; so is an empty run.
    with pytest.raises(InputError, match="the cheaper run holds face 0 of pattern 1 twice"):
        reports.budget_price(paper, lab + lab[:1])
    with pytest.raises(InputError, match="the reference run holds face 1 of pattern 1 twice"):
        reports.budget_price(paper + paper[1:2], lab)
    with pytest.raises(InputError, match="holds no faces"):
        reports.budget_price(paper, [])
    with pytest.raises(InputError, match="pattern 1: an MAE after refinement is not a positive finite number"):
        reports.budget_price(paper, _rows(1, ["a.jpg"], [float("nan")], [5.0]))
    with pytest.raises(InputError, match="not in the reference run"):
        reports.budget_price_markdown(paper, _rows(1, ["c.jpg"], [1.0], [1.0]), settings, settings)
