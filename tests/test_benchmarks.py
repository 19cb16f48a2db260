"""Benchmark figures reach the README through the scripts' own --record, never by hand."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from inpaintkit.errors import InputError
from inpaintkit.reports import paste_block

ROOT = Path(__file__).resolve().parents[1]


def bench_blending():
    spec = importlib.util.spec_from_file_location("bench_blending", ROOT / "benchmarks" / "bench_blending.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    with pytest.raises(InputError, match="lacks the markers"):
        bench.main(["--record", str(readme)])
    assert readme.read_text() == "no markers here\n"


def test_the_readme_blending_figures_come_from_the_script():
    bench = bench_blending()
    block = (ROOT / "README.md").read_text().split(bench.START)[1].split(bench.END)[0]
    assert block.startswith("\nEq. 6, kind=paper, ms per 64×64×3 image")
    assert block.count("target ≥ 50×") == 2
    assert len(re.findall(r"^\| \([1-6]\) ", block, flags=re.M)) == 6  # every pattern
