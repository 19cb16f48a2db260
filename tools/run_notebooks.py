"""Run the notebooks at a budget and keep their outputs, so a reader on GitHub sees every figure.

    python tools/run_notebooks.py --budget lab                 # every notebook
    python tools/run_notebooks.py --budget fast notebooks/02_semantic_inpainting.ipynb

Each notebook is executed from top to bottom (nbclient, in ``notebooks/``, with
``INPAINTKIT_BUDGET`` set to the budget and this checkout's ``inpaintkit`` first on the path). Then:

- widget state is dropped (``metadata.widgets``), and so are widget views in the outputs: a
  progress bar keeps its text, any other widget leaves one line saying it needs a live kernel;
- TensorFlow's and absl's log lines are removed from stderr outputs;
- the notebook's metadata is stamped (``metadata.inpaintkit``) with the budget, a sha256 of its code
  cells and the shipped generator's sha256: ``tests/test_project.py`` fails when a code cell or the
  weights changed after the outputs were made;
- the wall time goes to ``notebooks/timings.json`` (per notebook and budget, with the machine's
  cores and load), and the first cell's "Run time" sentence is rewritten from it.

A notebook that raises is not written; the script names it and exits with 1.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TIMINGS = NOTEBOOKS / "timings.json"
BUDGET_NAMES = ("fast", "lab", "paper")
TIMING_START, TIMING_END = "<!-- timing:start -->", "<!-- timing:end -->"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "(an interactive widget: run the notebook to use it)"
# absl/TensorFlow C++ log lines ("E0000 00:00:1796163985.049079   26958 meta_optimizer.cc:967] …")
# and the notices TensorFlow prints while it starts.
_TF_LINE = re.compile(r"^([IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+ [\w.]+:\d+\]|WARNING: All log messages before absl"
                      r"|.*(oneDNN custom operations|cuda drivers|cpu_feature_guard|rebuild TensorFlow with the "
                      r"appropriate compiler flags|AVX2 AVX512F|TF_ENABLE_ONEDNN_OPTS))")


def code_hash(notebook: dict) -> str:
    """sha256 of the notebook's code cells, in order (markdown and outputs do not count)."""
    digest = hashlib.sha256()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            digest.update(source.encode() + b"\0")
    return digest.hexdigest()


def is_tf_log(line: str) -> bool:
    return bool(_TF_LINE.match(line.strip()))


def _text(value) -> str:
    return value if isinstance(value, str) else "".join(value)


def clean_outputs(notebook: dict) -> dict:
    """Drop widget state and views and TensorFlow's log lines (in place); returns the notebook."""
    notebook.get("metadata", {}).pop("widgets", None)
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        cell.get("metadata", {}).pop("execution", None)
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines = [line for line in _text(output["text"]).splitlines(keepends=True) if not is_tf_log(line)]
                if not "".join(lines).strip():
                    continue
                output["text"] = "".join(lines)
            data = output.get("data")
            if data and WIDGET_VIEW in data:
                data.pop(WIDGET_VIEW)
                plain = _text(data.get("text/plain", ""))
                if not re.search(r"\d+%\|", plain):  # a progress bar's text says what it did; keep it
                    data.clear()
                    data["text/plain"] = WIDGET_NOTE
            kept.append(output)
        cell["outputs"] = kept
    return notebook


def timing_sentence(notebook: str, timings: dict) -> str:
    """The first cell's sentence: how long the notebook took at each budget, from ``timings``."""
    parts = []
    for budget in BUDGET_NAMES:
        entry = timings.get(notebook, {}).get(budget)
        if entry is None:
            parts.append(f"{budget} budget not measured yet")
            continue
        busy = entry.get("load", 0) > entry.get("cores", 2)
        note = f" (measured on a busy machine, load {entry['load']:.0f})" if busy else ""
        parts.append(f"{budget} budget {entry['seconds'] / 60:.1f} min{note}")
    return (f"{TIMING_START}\nRun time on {_cores(notebook, timings)} CPU cores, measured by "
            f"`tools/run_notebooks.py`: {'; '.join(parts)}.\n{TIMING_END}")


def _cores(notebook: str, timings: dict) -> int:
    cores = {entry.get("cores", 2) for entry in timings.get(notebook, {}).values()}
    return max(cores) if cores else 2


def write_timing(notebook: dict, name: str, timings: dict) -> None:
    """Rewrite the sentence between the timing markers of the first cell (which must hold them)."""
    cell = notebook["cells"][0]
    text = _text(cell["source"])
    if TIMING_START not in text or TIMING_END not in text:
        raise SystemExit(f"run_notebooks: error: the first cell of {name} has no {TIMING_START} … {TIMING_END}")
    start, end = text.index(TIMING_START), text.index(TIMING_END) + len(TIMING_END)
    cell["source"] = text[:start] + timing_sentence(name, timings) + text[end:]


def run(path: Path, budget: str, timeout: int) -> tuple[dict, float]:
    """Execute one notebook in its folder at ``budget``; (notebook, seconds)."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    os.environ["INPAINTKIT_BUDGET"] = budget
    os.environ.pop("INPAINTKIT_FAST", None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.pop("MPLBACKEND", None)  # Agg (as in CI) would keep every figure out of the outputs
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()
    return json.loads(nbformat.writes(notebook)), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--budget", required=True, choices=BUDGET_NAMES)
    parser.add_argument("--timeout", type=int, default=6 * 3600, help="seconds per cell (default 6 h)")
    parser.add_argument("--clean-only", action="store_true",
                        help="do not run: only strip widgets and TensorFlow log lines from the stored outputs")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import nbformat

    from inpaintkit.storage import atomic_write_text
    from inpaintkit.weights_io import generator_sha256

    paths = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.clean_only:  # the stamp stays valid: no code cell changes
        for path in paths:
            atomic_write_text(path, nbformat.writes(nbformat.from_dict(clean_outputs(json.loads(path.read_text())))) + "\n")
        return 0
    failed = []
    for path in paths:
        load = os.getloadavg()[0]
        print(f"run_notebooks: {path.name} at the {args.budget} budget …", flush=True)
        try:
            notebook, seconds = run(path, args.budget, args.timeout)
        except Exception as error:  # a cell raised, or the kernel died: keep the old file
            print(f"run_notebooks: {path.name} FAILED: {type(error).__name__}: {str(error)[-2000:]}", flush=True)
            failed.append(path.name)
            continue
        clean_outputs(notebook)
        notebook["metadata"]["inpaintkit"] = {"budget": args.budget, "code_sha256": code_hash(notebook),
                                              "generator_sha256": generator_sha256()}
        timings = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
        timings.setdefault(path.name, {})[args.budget] = {"seconds": round(seconds, 1), "cores": os.cpu_count(),
                                                          "load": round(max(load, os.getloadavg()[0]), 1)}
        write_timing(notebook, path.name, timings)
        atomic_write_text(path, nbformat.writes(nbformat.from_dict(notebook)) + "\n")
        atomic_write_text(TIMINGS, json.dumps(dict(sorted(timings.items())), indent=1) + "\n")
        print(f"run_notebooks: {path.name} done in {seconds / 60:.1f} min", flush=True)
    if failed:
        print(f"run_notebooks: failed: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
