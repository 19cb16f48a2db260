"""Write the student version of the notebooks (``make student`` → ``student/``, git-ignored).

The committed notebooks are the instructor version. They use nbgrader's markers and cell metadata:

- each exercise's function holds a reference solution between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` (an nbgrader "autograded answer" cell);
- each check cell holds ``exercises.grade(...)`` between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS`` (an nbgrader "autograder tests" cell, one point);
- the answers to "Check your understanding" are a markdown "manually graded answer" cell.

nbgrader's ``generate_assignment`` (what course labs grade with; it installs beside the kit's
JupyterLab, see the test extras) turns them into the student version: every solution region
becomes ``raise NotImplementedError("not done yet")``, so each check prints "not done yet"
until the learner writes the function (never a crash); hidden tests and the answers are
removed; outputs are cleared; check cells are locked. An instructor who grades with nbgrader
uses the committed notebooks as the course's ``source/`` folder; this script only runs
``generate_assignment`` in a throw-away course folder and copies the result.

Usage::

    python tools/make_student.py                 # every notebook → student/
    python tools/make_student.py --out DIR NB…   # some notebooks → DIR
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "notebooks"
CODE_STUB = '# YOUR CODE HERE\nraise NotImplementedError("not done yet")'
TEXT_STUB = "Your answers here (double-click to edit)."


def make_student(notebooks: list[Path], out: Path) -> list[Path]:
    """Write the student version of ``notebooks`` into ``out`` (replaced as a whole); returns its files."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    notebooks = [Path(n).resolve() for n in notebooks]
    missing = [str(n) for n in notebooks if not n.is_file()]
    if missing:
        raise SystemExit(f"make_student: error: no such notebook: {', '.join(missing)}")
    out = Path(out).resolve()
    # nbgrader creates its gradebook with the `alembic` command: the one beside this Python.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    with tempfile.TemporaryDirectory(prefix="inpaintkit-course-") as tmp:
        course = Path(tmp)
        source = course / "source" / ASSIGNMENT
        source.mkdir(parents=True)
        for notebook in notebooks:
            shutil.copy2(notebook, source / notebook.name)
        config = Config()
        config.CourseDirectory.root = str(course)
        config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
        config.ClearSolutions.code_stub = {"python": CODE_STUB}
        config.ClearSolutions.text_stub = TEXT_STUB
        result = NbGraderAPI(config=config).generate_assignment(ASSIGNMENT, force=True, create=True)
        if not result.get("success"):
            raise SystemExit(f"make_student: error: nbgrader generate_assignment failed\n{result.get('error', '')}"
                             f"\n{result.get('log', '')}")
        release = course / "release" / ASSIGNMENT
        # Written beside, then swapped in: a failed run never leaves a half-written student/.
        staging = out.parent / f".{out.name}.new"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for notebook in notebooks:
            shutil.copy2(release / notebook.name, staging / notebook.name)
    previous = out.parent / f".{out.name}.old"
    shutil.rmtree(previous, ignore_errors=True)
    if out.exists():
        out.rename(previous)
    staging.rename(out)
    shutil.rmtree(previous, ignore_errors=True)
    return sorted(out.glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="instructor notebooks (default: notebooks/*.ipynb)")
    parser.add_argument("--out", type=Path, default=ROOT / "student", help="where to write (default: student/)")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    written = make_student(notebooks, args.out)
    print(f"make_student: {len(written)} student notebooks in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
