"""Checks of the project's own files: dependencies agree, notebooks are committed clean."""
from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_without_outputs_or_widget_state(path):
    notebook = json.loads(path.read_text())
    with_outputs = [i for i, cell in enumerate(notebook["cells"])
                    if cell.get("outputs") or cell.get("execution_count")]
    assert not with_outputs, f"{path.name}: cells {with_outputs} hold outputs; clear them before committing"
    assert "widgets" not in notebook.get("metadata", {}), f"{path.name} holds widget state"


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
def test_notebook_opens_with_setup_and_ends_with_what_we_saw(path):
    cells = json.loads(path.read_text())["cells"]
    first_code = next(cell for cell in cells if cell["cell_type"] == "code")
    assert "ik.setup(" in "".join(first_code["source"])
    last_markdown = "".join(next(c for c in reversed(cells) if c["cell_type"] == "markdown")["source"])
    assert "what we saw" in last_markdown.lower()


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
    photos = [f for f in files if f.lower().endswith((".jpg", ".jpeg", ".png")) and not f.startswith("figures/")
              and not f.startswith("inpaintkit/weights/")]
    portraits = {f for f in photos if f.startswith("inpaintkit/portraits/")}
    assert set(photos) == portraits, f"photos outside inpaintkit/portraits/: {sorted(set(photos) - portraits)}"
    assert not [f for f in files if re.search(r"(^|/)\d{6}\.(jpg|png)$", f)], "a CelebA-named file is tracked"
    listed = {entry["file"] for entry in json.loads((ROOT / "inpaintkit" / "portraits" / "manifest.json").read_text())["faces"]}
    assert {Path(f).name for f in portraits} == listed
    assert all(re.fullmatch(r"[A-Z]\d{6}\.jpg", name) for name in listed)  # Bioguide ids
