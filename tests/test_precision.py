"""bf16 latent optimisation (opt-in): the pipeline, evaluate and the CLI take a precision, check it
before any work, record it, and give results close to float32's with the known pixels exact."""
from __future__ import annotations

import json

import numpy as np
import pytest

from inpaintkit import dcgan, evaluation, masks
from inpaintkit.cli import main
from inpaintkit.errors import InputError
from inpaintkit.metrics import image_metrics
from inpaintkit.pipeline import fig8

NAMES = [f"{i:06d}.jpg" for i in range(4)]
TINY = dict(patterns=(5,), steps=2, refine_steps=2, progress=False, batch_size=2)


def test_with_precision_keeps_the_weights_and_reuses_models_already_there(small_models):
    G, D = small_models
    assert dcgan.precision_of(G) == "float32"
    assert dcgan.with_precision(G, D, "float32") == (G, D)
    G16, D16 = dcgan.with_precision(G, D, "mixed_bfloat16")
    assert (dcgan.precision_of(G16), dcgan.precision_of(D16)) == ("mixed_bfloat16", "mixed_bfloat16")
    assert all(np.array_equal(a, b) for a, b in zip(G.get_weights(), G16.get_weights()))
    assert dcgan.with_precision(G16, D16, "mixed_bfloat16") == (G16, D16)


def test_bf16_pipeline_stays_close_to_float32_and_keeps_known_pixels(small_models, reachable_faces):
    G, D = small_models
    known = masks.make_masks(5, len(reachable_faces), seed=0)
    runs = {p: fig8(reachable_faces, known, G, D, mu=0.1, inpaint_steps=30, refine_steps=30, progress=False,
                    precision=p) for p in ("float32", "mixed_bfloat16")}
    fp32, bf16 = runs["float32"], runs["mixed_bfloat16"]
    assert bf16.settings["precision"] == "mixed_bfloat16" and fp32.settings["precision"] == "float32"
    assert bf16.x.dtype == np.float32 and bf16.inpaint_losses.dtype == np.float32
    assert np.isfinite(bf16.x).all()
    # the losses go down under bf16 as under float32, and the blend keeps the known pixels exact
    assert bf16.inpaint_losses[-1].mean() < bf16.inpaint_losses[0].mean()
    kept = np.broadcast_to(known[..., None] > 0, bf16.x.shape)
    assert np.array_equal(bf16.x[kept], reachable_faces[kept])
    mae = {p: float(image_metrics(r.x, reachable_faces)["MAE"].mean()) for p, r in runs.items()}
    assert mae["mixed_bfloat16"] == pytest.approx(mae["float32"], rel=0.01)  # measured: 0.05 % apart
    assert not np.array_equal(bf16.x, fp32.x)  # bf16 did run: not the float32 numbers again


def test_an_unknown_precision_is_named_before_any_optimisation(small_models, reachable_faces, monkeypatch):
    from inpaintkit import pipeline

    monkeypatch.setattr(pipeline, "_semantic_inpaint", lambda *a, **k: pytest.fail("optimised before checking"))
    with pytest.raises(InputError, match="unknown precision 'float16': use one of float32, mixed_bfloat16"):
        fig8(reachable_faces, masks.make_masks(5, 3, seed=0), *small_models, mu=0.1, inpaint_steps=2,
             refine_steps=2, progress=False, precision="float16")


def test_evaluate_records_the_precision_and_refuses_to_mix_two(models, faces, tmp_path):
    evaluation.evaluate(faces[:2], NAMES[:2], *models, tmp_path, precision="mixed_bfloat16", **TINY)
    assert json.loads((tmp_path / "settings.json").read_text())["precision"] == "mixed_bfloat16"
    before = sorted(p.name for p in (tmp_path / "batches").iterdir())
    with pytest.raises(InputError, match="other settings"):
        evaluation.evaluate(faces[:2], NAMES[:2], *models, tmp_path, **TINY)  # float32 now
    assert sorted(p.name for p in (tmp_path / "batches").iterdir()) == before


def test_a_run_from_before_the_setting_resumes_as_float32(models, faces, tmp_path):
    evaluation.evaluate(faces[:2], NAMES[:2], *models, tmp_path, **TINY)
    settings = json.loads((tmp_path / "settings.json").read_text())
    del settings["precision"]
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    assert len(evaluation.evaluate(faces[:2], NAMES[:2], *models, tmp_path, **TINY)["rows"]) == 2
    with pytest.raises(InputError, match="other settings"):
        evaluation.evaluate(faces[:2], NAMES[:2], *models, tmp_path, precision="mixed_bfloat16", **TINY)


def test_evaluate_names_an_unknown_precision_and_writes_nothing(models, faces, tmp_path):
    with pytest.raises(InputError, match="unknown precision 'bf16'"):
        evaluation.evaluate(faces, NAMES, *models, tmp_path / "out", precision="bf16", **TINY)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [["demo"], ["inpaint", "photo.jpg", "--pattern", "5"], ["evaluate"]])
def test_the_cli_names_an_unknown_precision_in_one_line(command, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([*command, "--precision", "half", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "unknown precision 'half'" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_demo_runs_under_bf16(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("INPAINTKIT_DATA", raising=False)  # the built-in faces
    assert main(["demo", "--patterns", "5", "--steps", "2", "--precision", "mixed_bfloat16",
                 "--out", str(tmp_path)]) == 0
    assert (tmp_path / "demo_pipeline.png").stat().st_size > 10_000
