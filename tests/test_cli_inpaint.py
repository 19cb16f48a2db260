"""``python -m inpaintkit inpaint``: your own photos end to end on a built-in face."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from inpaintkit import data, faces, masks
from inpaintkit.cli import main


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("photos") / "senator.jpg"
    path.write_bytes((data.PORTRAITS_DIR / data._portraits()[0]["file"]).read_bytes())
    return path


def test_inpaint_writes_a_panel_and_metrics_per_photo_never_overwriting(photo, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["inpaint", str(photo), str(photo), "--pattern", "5", "--steps", "2", "--batch-size", "1", "--out", str(out)]
    assert main(args) == 0
    assert {p.name for p in out.iterdir()} == {"senator.png", "senator.json", "senator-2.png", "senator-2.json",
                                              "metrics.json"}
    assert main(args) == 0  # the next run adds, never overwrites
    assert {"senator-3.png", "senator-4.png"} <= {p.name for p in out.iterdir()}
    summary = json.loads((out / "metrics.json").read_text())
    assert sorted(summary) == ["senator", "senator-2", "senator-3", "senator-4"]
    record = summary["senator"]
    assert record["mu"] == 0.66 and record["missing"] == 0.25 and record["steps"] == [2, 2]  # inpainting, refinement
    assert set(record["before"]) == set(record["after"]) == {"MAE", "MSE", "PSNR", "MSSIM"}
    # Same photo, same seed: the same numbers in a batch of 1 or 2, and in a later run.
    for name in ("senator-2", "senator-3"):
        assert summary[name]["after"] == pytest.approx(record["after"], rel=1e-4)
    assert Image.open(out / "senator.png").size[0] > 400


def test_cli_gives_the_widgets_result_with_the_same_seed(photo, tmp_path):
    from inpaintkit import widgets

    assert main(["inpaint", str(photo), "--pattern", "1", "--steps", "2", "--seed", "3", "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "senator.json").read_text())
    framed = faces.frame_photo(photo)
    demo = widgets.own_face_demo(framed.face, masks.make_mask(1, seed=3), mu=masks.pattern(1).mu, steps=2, seed=3,
                                 progress=False)
    assert demo["metrics"]["after"] == pytest.approx(record["after"], rel=1e-4)
    assert demo["metrics"]["before"] == pytest.approx(record["before"], rel=1e-4)


def test_a_mask_of_the_wrong_size_is_resized_with_a_note(photo, tmp_path, capsys):
    mask = np.full((128, 128), 255, np.uint8)
    mask[40:70, 30:60] = 0
    Image.fromarray(mask).save(tmp_path / "hole.png")
    assert main(["inpaint", str(photo), "--mask", str(tmp_path / "hole.png"), "--steps", "2",
                 "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "is 128×128; resized to 64×64" in out
    record = json.loads((tmp_path / "out" / "senator.json").read_text())
    assert record["missing"] == pytest.approx(15 * 15 / 4096, abs=1e-4) and record["mu"] == 0.66


@pytest.mark.parametrize("value, message", [(255, "no missing pixel"), (0, "no known pixel")])
def test_a_mask_with_no_hole_or_no_known_pixel_is_an_error(photo, tmp_path, capsys, value, message):
    Image.fromarray(np.full((64, 64), value, np.uint8)).save(tmp_path / "mask.png")
    assert main(["inpaint", str(photo), "--mask", str(tmp_path / "mask.png"), "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_photo_without_a_face_is_named_and_nothing_is_written(photo, tmp_path, capsys):
    wall = tmp_path / "wall.png"
    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(wall)
    code = main(["inpaint", str(photo), str(wall), "--pattern", "5", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "no face found in" in err and "wall.png" in err and "nothing was written" in err
    assert not (tmp_path / "out").exists()


def test_the_hole_is_required_once(photo, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["inpaint", str(photo), "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        main(["inpaint", str(photo), "--pattern", "5", "--mask", "m.png", "--out", str(tmp_path)])


def test_a_photo_named_like_the_summary_keeps_both(photo, tmp_path):
    """A photo called metrics.jpg gets its own record; the summary stays the summary."""
    named = tmp_path / "metrics.jpg"
    named.write_bytes(photo.read_bytes())
    out = tmp_path / "out"
    assert main(["inpaint", str(named), "--pattern", "5", "--steps", "2", "--out", str(out)]) == 0
    summary = json.loads((out / "metrics.json").read_text())
    assert list(summary) == ["metrics-2"] and (out / "metrics-2.png").exists()
