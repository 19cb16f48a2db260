"""Benchmark figures reach docs/benchmarks.md through the scripts' own --record, never by hand."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from inpaintkit.errors import InputError
from helpers import block_of, load_repo_module
from inpaintkit.reports import block_markers, paste_block

ROOT = Path(__file__).resolve().parents[1]


def bench(name: str):
    return load_repo_module("benchmarks", name)


def bench_blending():
    return bench("bench_blending")


def readme_with_blocks(tmp_path, *names):
    readme = tmp_path / "README.md"
    readme.write_text("# title\n" + "".join(f"\n{a}\nold figures\n{b}\n" for a, b in map(block_markers, names))
                      + "\nmore text\n")
    return readme


def test_paste_block_replaces_only_between_its_markers():
    text = "head\n<!-- a -->\nold\n<!-- b -->\ntail\n"
    assert paste_block(text, "new\n", "<!-- a -->", "<!-- b -->") == "head\n<!-- a -->\nnew\n<!-- b -->\ntail\n"
    for broken in ("no markers", "<!-- b --> <!-- a -->", "<!-- a --><!-- a --><!-- b -->"):
        with pytest.raises(InputError, match="lacks the markers"):
            paste_block(broken, "x", "<!-- a -->", "<!-- b -->")


def test_record_writes_the_run_into_the_readme_block(tmp_path, capsys):
    bench = bench_blending()
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n{bench.START}\nold figures\n{bench.END}\n\nmore text\n")
    bench.main(["--patterns", "5", "--count", "2", "--reference", "1", "--record", str(readme)])
    text = readme.read_text()
    block = text.split(bench.START)[1].split(bench.END)[0]
    assert "old figures" not in text and text.startswith("# title") and text.endswith("more text\n")
    assert "| (5) centred square (25 %) |" in block
    assert block.count("target ≥ 50×") == 2 and ("- PASS:" in block or "- FAIL:" in block)
    assert block.strip() in capsys.readouterr().out  # the README holds exactly what was printed


def test_record_refuses_a_readme_without_markers_before_running(tmp_path, monkeypatch):
    bench = bench_blending()
    readme = tmp_path / "README.md"
    readme.write_text("no markers here\n")
    monkeypatch.setattr(bench, "report", lambda args: pytest.fail("the benchmark ran"))
    with pytest.raises(InputError, match=f"{readme} lacks the markers"):  # names the file it read
        bench.main(["--record", str(readme)])
    assert readme.read_text() == "no markers here\n"


def test_the_readme_blending_figures_come_from_the_script():
    bench = bench_blending()
    block = (ROOT / "docs" / "benchmarks.md").read_text().split(bench.START)[1].split(bench.END)[0]
    assert block.startswith("\nEq. 6, kind=paper, ms per 64×64×3 image")
    assert block.count("target ≥ 50×") == 2
    assert len(re.findall(r"^\| \([1-6]\) ", block, flags=re.M)) == 6  # every pattern


def test_data_cache_benchmark_records_its_figures(tmp_path, capsys, monkeypatch):
    from skimage import io

    folder = tmp_path / "celeba" / "img_align_celeba"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for number in (162771, 162772):
        io.imsave(folder / f"{number:06d}.png", rng.integers(0, 256, (218, 178, 3), dtype=np.uint8),
                  check_contrast=False)
    readme = readme_with_blocks(tmp_path, "bench_inpainting", "bench_data_cache")
    monkeypatch.setenv("INPAINTKIT_CACHE", str(tmp_path / "cache"))
    bench("bench_data_cache").main(["--data", str(tmp_path / "celeba"), "--partition", "validation",
                                    "--repeat", "1", "--record", str(readme)])
    text = readme.read_text()
    block = block_of(text, "bench_data_cache")
    assert block.startswith("\n2 validation faces, 0 MiB as float32") and "(target < 1 s)" in block
    assert block_of(text, "bench_inpainting") == "\nold figures\n"  # the other block is left alone
    assert block.strip() in capsys.readouterr().out


def test_inpainting_benchmark_records_its_figures(tmp_path, capsys):
    readme = readme_with_blocks(tmp_path, "bench_inpainting")
    bench("bench_inpainting").main(["--batch", "2", "--steps", "2", "--width", "8", "--repeats", "1",
                                    "--record", str(readme)])
    block = block_of(readme.read_text(), "bench_inpainting")
    assert block.startswith("\nbatch 2, width 8, 2 steps, best of 1 interleaved rounds")
    assert "ratio kit / bare" in block and "(target ≤ 1.15)" in block
    assert block.strip() in capsys.readouterr().out


def test_budgets_benchmark_times_a_click_at_both_budgets_and_records_it(tmp_path, capsys, monkeypatch):
    import dataclasses

    from inpaintkit import config

    script = bench("bench_budgets")
    small = {"lab": dataclasses.replace(config.Budget.lab(), inpaint_steps=3, refine_steps=3, learning_rate=0.01),
             "paper": dataclasses.replace(config.Budget.paper(), inpaint_steps=5, refine_steps=5)}
    monkeypatch.setattr(script.config, "budget", lambda name: small[name])
    readme = readme_with_blocks(tmp_path, "bench_budgets")
    lines = script.main(["--repeat", "1", "--record", str(readme)])
    block = block_of(readme.read_text(), "bench_budgets")
    assert block.startswith("\none face, centre hole, best of 1 interleaved runs")
    assert "lab budget (3 + 3 steps at 0.01)" in block and "paper budget (5 + 5 steps at 0.003)" in block
    assert re.search(r"- (PASS|FAIL): a click at the lab budget takes [\d.]+ s \(target ≤ 15 s\)", block)
    assert block.strip() == "\n".join(lines) and block.strip() in capsys.readouterr().out


def test_budgets_benchmark_refuses_a_repeat_below_one_before_it_loads_anything(capsys):
    for repeat in ("0", "-1"):
        with pytest.raises(SystemExit) as stopped:
            bench("bench_budgets").main(["--repeat", repeat])
        assert stopped.value.code == 2 and "--repeat: must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("name, header", [("bench_inpainting", r"batch \d+, width \d+, \d+ steps"),
                                          ("bench_data_cache", r"\d+ \w+ faces, \d+ MiB"),
                                          ("bench_budgets", r"one face, centre hole, best of \d+")])
def test_the_readme_figures_of_the_other_benchmarks_come_from_their_scripts(name, header):
    block = block_of((ROOT / "docs" / "benchmarks.md").read_text(), name)
    assert re.match(rf"\n{header}", block) and ("- PASS:" in block or "- FAIL:" in block)
