"""Checks of the project's own files: dependencies agree, notebooks are committed clean."""
from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from helpers import load_repo_module

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return set(project["dependencies"]) | set(project["optional-dependencies"]["test"])


def _environment_pip_requirements() -> set[str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    items = []
    for line in lines[start + 1:]:
        if not line.startswith("      - "):
            break
        items.append(line.strip()[2:])
    return {item for item in items if not item.startswith("-e")}


def test_environment_yml_matches_pyproject():
    assert _environment_pip_requirements() == _pyproject_requirements()


def test_environment_yml_pins_python_311():
    assert "python=3.11" in (ROOT / "environment.yml").read_text()


def test_there_are_ordered_notebooks():
    names = [path.name for path in NOTEBOOKS]
    assert names and names[0].startswith("00_")
    assert all(name[:2].isdigit() and name[2] == "_" for name in names)


RUN = load_repo_module("tools", "run_notebooks")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_were_made_from_this_code_and_these_weights(path):
    """The committed outputs come from a run of tools/run_notebooks.py on the notebook's current
    code cells and the weights shipped now; any change to either needs a new run."""
    from inpaintkit.config import BUDGETS
    from inpaintkit.weights_io import generator_sha256

    notebook = json.loads(path.read_text())
    stamp = notebook["metadata"].get("inpaintkit")
    assert stamp, f"{path.name} holds no run stamp: run tools/run_notebooks.py --budget lab"
    assert stamp["budget"] in BUDGETS
    assert stamp["code_sha256"] == RUN.code_hash(notebook), \
        f"{path.name}: a code cell changed after its outputs were made: run tools/run_notebooks.py {path.name}"
    assert stamp["generator_sha256"] == generator_sha256(), \
        f"{path.name}: its outputs were made with other weights than the shipped ones: run tools/run_notebooks.py"
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert [cell["execution_count"] for cell in code] == list(range(1, len(code) + 1)), \
        f"{path.name}: not every cell ran, in order, in one run"
    errors = [cell["id"] for cell in code for output in cell["outputs"] if output["output_type"] == "error"]
    assert not errors, f"{path.name}: cells {errors} end in an error"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_hold_no_widget_state_and_no_tensorflow_log_line(path):
    notebook = json.loads(path.read_text())
    assert "widgets" not in notebook.get("metadata", {}), f"{path.name} holds widget state"
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            assert RUN.WIDGET_VIEW not in output.get("data", {}), f"{path.name}: a widget view in cell {cell['id']}"
            if output.get("name") == "stderr":
                text = "".join(output["text"])
                assert not [line for line in text.splitlines() if RUN.is_tf_log(line)], (path.name, text[:300])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_first_cell_says_how_long_the_notebook_takes(path):
    timings = json.loads((ROOT / "notebooks" / "timings.json").read_text())
    notebook = json.loads(path.read_text())
    assert notebook["metadata"]["inpaintkit"]["budget"] in timings[path.name], "its run is not in timings.json"
    assert RUN.timing_sentence(path.name, timings) in "".join(notebook["cells"][0]["source"])


def test_run_notebooks_strips_widgets_and_tensorflow_logs_and_keeps_progress_text():
    bar = {"output_type": "display_data", "metadata": {},
           "data": {RUN.WIDGET_VIEW: {"model_id": "a"}, "text/plain": "inpainting: 100%|██████████| 60/60 [00:05<00:00]"}}
    box = {"output_type": "display_data", "metadata": {}, "data": {RUN.WIDGET_VIEW: {"model_id": "b"},
                                                                   "text/plain": "VBox(children=(IntSlider(value=0),))"}}
    logs = {"output_type": "stream", "name": "stderr",
            "text": "E0000 00:00:1796163985.049079   26958 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT\n"
                    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
                    "a warning of our own\n"}
    only_logs = {"output_type": "stream", "name": "stderr",
                 "text": "I0000 00:00:1.1   1 cpu_feature_guard.cc:227] This TensorFlow binary is optimized\n"}
    notebook = {"metadata": {"widgets": {"state": {}}}, "cells": [
        {"cell_type": "code", "metadata": {"execution": {"x": 1}}, "outputs": [bar, box, logs, only_logs]}]}
    RUN.clean_outputs(notebook)
    outputs = notebook["cells"][0]["outputs"]
    assert "widgets" not in notebook["metadata"] and "execution" not in notebook["cells"][0]["metadata"]
    assert outputs[0]["data"] == {"text/plain": bar["data"]["text/plain"]}
    assert outputs[1]["data"] == {"text/plain": RUN.WIDGET_NOTE}
    assert outputs[2]["text"] == "a warning of our own\n" and len(outputs) == 3


def test_the_code_hash_follows_code_cells_only():
    notebook = {"cells": [{"cell_type": "markdown", "source": "text"}, {"cell_type": "code", "source": ["a = 1\n", "b"],
                                                                          "outputs": []}]}
    before = RUN.code_hash(notebook)
    notebook["cells"][0]["source"] = "other text"
    notebook["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1"}]
    assert RUN.code_hash(notebook) == before
    notebook["cells"][1]["source"] = "a = 2\nb"
    assert RUN.code_hash(notebook) != before


def test_the_timing_sentence_says_what_was_measured_and_what_was_not():
    timings = {"x.ipynb": {"fast": {"seconds": 90.0, "cores": 2, "load": 0.5},
                           "lab": {"seconds": 600.0, "cores": 2, "load": 9.0}}}
    sentence = RUN.timing_sentence("x.ipynb", timings)
    assert "fast budget 1.5 min" in sentence and "lab budget 10.0 min (measured on a busy machine, load 9)" in sentence
    assert "paper budget not measured yet" in sentence and "2 CPU cores" in sentence


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_nbformat_4_5_with_cell_ids(path):
    """JupyterLab adds ids to a 4.4 notebook on open and marks it modified; 4.5 with ids opens clean."""
    notebook = json.loads(path.read_text())
    assert (notebook["nbformat"], notebook["nbformat_minor"]) == (4, 5), f"{path.name} is not nbformat 4.5"
    ids = [cell.get("id") for cell in notebook["cells"]]
    assert all(isinstance(i, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in ids), \
        f"{path.name}: every cell needs an id of 1-64 letters, digits, - or _"
    assert len(set(ids)) == len(ids), f"{path.name}: cell ids repeat"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_setup_and_ends_with_what_we_saw_research_questions_and_answers(path):
    cells = json.loads(path.read_text())["cells"]
    first_code = next(cell for cell in cells if cell["cell_type"] == "code")
    assert "ik.setup(" in "".join(first_code["source"]) and "exercises" in "".join(first_code["source"])
    headings = [next(iter("".join(c["source"]).splitlines()), "") for c in cells if c["cell_type"] == "markdown"]
    tail = [h for h in headings if h in ("## What we saw", "## Further research", "## Check your understanding")]
    assert tail == ["## What we saw", "## Further research", "## Check your understanding"], (path.name, tail)
    answers = cells[-1]
    assert answers["metadata"]["nbgrader"]["solution"] and "".join(answers["source"]).startswith("**Answers**")
    research = "".join(next(c for c in cells if "".join(c["source"]).startswith("## Further research"))["source"])
    assert research.count("\n1. ") == 1 and "\n3. " in research and "built-in portraits" in research


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_cells_are_short(path):
    cells = json.loads(path.read_text())["cells"]
    long_cells = [i for i, cell in enumerate(cells) if cell["cell_type"] == "code"
                  and len("".join(cell["source"]).strip().splitlines()) > 15]
    assert not long_cells, f"{path.name}: code cells {long_cells} exceed 15 lines; move code to inpaintkit/"


def test_no_celeba_images_tracked():
    """The only photos in the repository are the public-domain portraits (the built-in faces),
    each named by its Bioguide id and listed in their manifest; no CelebA file (NNNNNN.jpg)."""
    import re
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    photos = [f for f in files if f.lower().endswith((".jpg", ".jpeg", ".png")) and not f.startswith(("figures/", "experiments/figures/"))
              and not f.startswith("inpaintkit/weights/")]
    portraits = {f for f in photos if f.startswith("inpaintkit/portraits/")}
    assert set(photos) == portraits, f"photos outside inpaintkit/portraits/: {sorted(set(photos) - portraits)}"
    assert not [f for f in files if re.search(r"(^|/)\d{6}\.(jpg|png)$", f)], "a CelebA-named file is tracked"
    listed = {entry["file"] for entry in json.loads((ROOT / "inpaintkit" / "portraits" / "manifest.json").read_text())["faces"]}
    assert {Path(f).name for f in portraits} == listed
    assert all(re.fullmatch(r"[A-Z]\d{6}\.jpg", name) for name in listed)  # Bioguide ids
