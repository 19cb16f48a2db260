"""The graded exercises (issue 38): the reference solutions live in the instructor notebooks only;
every check passes them, fails a planted wrong answer with a message that names the mistake, refuses
the kit's own functions, and says "not done yet" to an unwritten one; the student version (nbgrader's
generate_assignment) holds none of the solutions and runs: as written (every check "not done yet"),
with the reference solutions put back (every check ✓) and with planted wrong answers (every check ✗)."""
from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from inpaintkit import blending, dcgan, exercises, faces, losses, masks, metrics, refinement, reports, shortcomings

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("not done yet")'

# Planted wrong answers: key → [(body replacing the reference solution, part of the expected message)].
# The first of each is also planted in the student notebooks. They are the mistakes people make.
WRONG = {
    "00.stripe_share": [("return 2 * 12 * 64 / 64 ** 2", "cross twice")],
    "00.ring_size": [("return 38 ** 2 - 32 ** 2", "ring for n = 7"), ("return 42 ** 2 - 32 ** 2", "(n − 1)/2 wide")],
    "00.psnr": [("return 20 * np.log10(255.0 ** 2 / mse)", "20·log10"),
                ("return 10 * np.log10(1 / np.asarray(mse))", "peak is 255"),
                ("return 10 * np.log(255.0 ** 2 / mse)", "natural log"),
                ("from inpaintkit import metrics\nreturn metrics.psnr_from_mse(mse)",
                 "calls the kit's own inpaintkit.metrics.psnr_from_mse")],
    "01.d_loss": [("sigmoid = lambda l: 1 / (1 + np.exp(-l))\n"
                   "return np.mean(-np.log(sigmoid(real_logits))) + np.mean(-np.log(1 - sigmoid(fake_logits)))",
                   "unstable log of a sigmoid"),
                  ("p = np.clip(1 / (1 + np.exp(-fake_logits)), 1e-7, 1 - 1e-7)\n"
                   "return np.mean(np.logaddexp(0, -real_logits)) + np.mean(-np.log(1 - p))", "unstable log of a sigmoid"),
                  ("return np.mean(np.logaddexp(0, -real_logits)) + np.mean(np.logaddexp(0, -fake_logits))",
                   "fakes are scored as real"),
                  ("return np.sum(np.logaddexp(0, -real_logits)) + np.sum(np.logaddexp(0, fake_logits))",
                   "sum where a mean belongs"),
                  ("import tensorflow as tf\nfrom inpaintkit import dcgan\n"
                   "return float(dcgan.discriminator_loss(tf.constant(real_logits), tf.constant(fake_logits)))",
                   "calls the kit's own inpaintkit.dcgan.discriminator_loss")],
    "01.g_loss": [("return np.mean(-np.log(1 / (1 + np.exp(-fake_logits))))", "unstable log of a sigmoid"),
                  ("return -np.mean(np.logaddexp(0, fake_logits))", "saturating form"),
                  ("return np.sum(np.logaddexp(0, -fake_logits))", "sum where a mean belongs")],
    "01.equilibrium": [("return np.log(2)", "one of the two terms"), ("return 2 * np.log10(2)", "base 10")],
    "01.adam_bound": [("return 0.003", "α itself"), ("return 0.003 * 0.5 / 0.1", "square root")],
    "02.content_weights": [
        ("from scipy.ndimage import convolve\nholes = convolve((~known).astype(float), np.ones((n, n)), mode='constant')\n"
         "inside = convolve(np.ones(known.shape), np.ones((n, n)), mode='constant')\n"
         "return np.where(~known, holes / np.maximum(inside - holes, 1), 0.0)", "inside out"),
        ("from scipy.ndimage import convolve\nholes = convolve((~known).astype(float), np.ones((n, n)), mode='constant')\n"
         "inside = convolve(np.ones(known.shape), np.ones((n, n)), mode='constant')\n"
         "return np.where(known & (holes > 0), holes / inside, 0.0)", "Yeh et al.'s variant"),
        ("from scipy.ndimage import convolve\nholes = convolve((~known).astype(float), np.ones((n, n)))\n"
         "return np.where(known & (holes > 0), holes / np.maximum(n * n - holes, 1), 0.0)", "border"),
        ("from scipy.ndimage import convolve\nholes = convolve((~known).astype(float), np.ones((n, n)), mode='constant')\n"
         "inside = convolve(np.ones(known.shape), np.ones((n, n)), mode='constant')\n"
         "return np.where(known & (holes > 0), (inside - holes) / np.maximum(holes, 1), 0.0)", "upside down"),
        ("from inpaintkit import losses\nreturn losses.content_weights(known, n)[0]",
         "calls the kit's own inpaintkit.losses.content_weights")],
    "02.adam_step": [
        ("m = beta_1 * m + (1 - beta_1) * g\nv = beta_2 * v + (1 - beta_2) * g ** 2\n"
         "m_hat, v_hat = m / (1 - beta_1 ** t), v / (1 - beta_2 ** t)\n"
         "return z - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v", "z not clipped"),
        ("m = beta_1 * m + (1 - beta_1) * g\nv = beta_2 * v + (1 - beta_2) * g ** 2\n"
         "return np.clip(z - learning_rate * m / (np.sqrt(v) + epsilon), -1, 1), m, v", "no bias correction"),
        ("m = beta_1 * m + (1 - beta_1) * g\nv = beta_2 * v + (1 - beta_2) * g ** 2\n"
         "m_hat, v_hat = m / (1 - beta_1 ** t), v / (1 - beta_2 ** t)\n"
         "return np.clip(z + learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), -1, 1), m, v", "uphill"),
        ("m = beta_2 * m + (1 - beta_2) * g\nv = beta_1 * v + (1 - beta_1) * g ** 2\n"
         "m_hat, v_hat = m / (1 - beta_2 ** t), v / (1 - beta_1 ** t)\n"
         "return np.clip(z - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), -1, 1), m, v", "moving averages"),
        ("return np.clip(z - learning_rate * g, -1, 1), m, v", "plain gradient step")],
    "02.first_step": [("return 0.01 * 0.5 / np.sqrt(0.1)", "without bias correction")],
    "03.blend_channel": [
        ("return np.where(known, y, guide)", "pastes"),
        ("from scipy.sparse.linalg import spsolve\nmissing = ~known.ravel()\nrows = L[missing]\n"
         "rhs = (L @ guide.ravel())[missing] - rows[:, ~missing] @ y.ravel()[~missing]\n"
         "x = y.astype(float).ravel().copy()\nx[missing] = spsolve(rows[:, missing].tocsc(), rhs)\n"
         "return x.reshape(y.shape)", "Pérez"),
        ("return guide", "keeps every known pixel"),
        ("from inpaintkit import blending\nthree = np.repeat(y[None, ..., None], 3, -1)\n"
         "return blending.poisson_blend(three, known, np.repeat(guide[None, ..., None], 3, -1), clip=False)[0, ..., 0]",
         "calls the kit's own inpaintkit.blending")],
    "03.constant_image": [("return 0.0", "−8 Laplacian"), ("return -4.5", "neighbours count too")],
    "03.rows_reading_hole": [("return 1024", "number of unknowns"), ("return 36 ** 2", "one pixel beyond the hole")],
    "04.band_share_left": [("return 3 * 64 / 4096", "share of all pixels"), ("return 7 / 32", "(n − 1)/2 columns")],
    "04.band_share_n15": [("return 0.137", "n = 7")],
    "04.own_asymmetry": [("return np.abs(face - face[:, ::-1]).mean(axis=-1)[:, :32].mean() * 255", "×127.5"),
                         ("return np.abs(face - face[:, ::-1]).sum(axis=-1)[:, :32].mean() * 127.5", "not summed")],
    "05.refinement_loss": [
        ("l1 = np.abs(x - x_b).sum(axis=-1)\nreturn l1[~known].sum() + mu * l1[known].sum() - lam * np.logaddexp(0, logit)",
         "inside out"),
        ("l1 = np.abs(x - x_b).sum(axis=-1)\nreturn l1[known].sum() + mu * l1[~known].sum() + lam * np.logaddexp(0, logit)",
         "perceptual term's sign"),
        ("l1 = np.abs(x - x_b).sum(axis=-1)\n"
         "return l1[known].sum() + mu * l1[~known].sum() + lam * np.log(1 - 1 / (1 + np.exp(-logit)))",
         "unstable log of a sigmoid"),
        ("l1 = np.abs(x - x_b)\nreturn l1[known].mean() + mu * l1[~known].mean() - lam * np.logaddexp(0, logit)",
         "a mean where Eq. 7 and 8 sum"),
        ("l1 = np.abs(x - x_b).sum(axis=-1)\nreturn l1[known].sum() + mu * l1[~known].sum()", "perceptual term"),
        ("l1 = np.abs(x - x_b).sum(axis=-1)\nreturn l1[known].sum() + l1[~known].sum() - lam * np.logaddexp(0, logit)",
         "µ is missing")],
    "05.known_weight_share": [("return 0.75", "without µ"), ("return 0.66 * 3072 / (0.66 * 3072 + 1024)", "swapped")],
    "05.lambda_size": [("return 0.003 * abs(np.log(0.9))", "log D(x)"), ("return 0.003", "base 10")],
    "06.mae_bound": [("return 20.0", "without f"), ("return 0.25 * 20", "under the root")],
    "06.hole_only_ratio": [("return mae / (f * np.sqrt(mse))", "under the root"), ("return mae / np.sqrt(mse)", "f is missing")],
    "06.psnr_of_mean": [("return -0.969", "other way round")],
    "07.default_mu": [("return 0.66 if np.mean(~known) < 3 / 8 else 0.33", "≤ not <"),
                      ("return 0.66 if np.mean(known) <= 3 / 8 else 0.33", "known share")],
    "07.crop_box": [("side = 108.0\nreturn (width - side) / 2, (height - side) / 2, side", "scale with the image"),
                    ("side = 108 * max(width / 178, height / 218)\nreturn (width - side) / 2, (height - side) / 2, side",
                     "smaller ratio")],
    "07.stroke_mask": [
        ("from inpaintkit import masks\nreturn ~masks.mask_from_strokes([(points, radius, False)])",
         "calls the kit's own inpaintkit.masks.mask_from_strokes"),
        ("rows, cols = np.mgrid[0:64, 0:64]\ncentres = np.stack([cols + 0.5, rows + 0.5], axis=-1)\n"
         "painted = np.zeros((64, 64), bool)\nfor p in np.asarray(points, float):\n"
         "    painted |= ((centres - p) ** 2).sum(axis=-1) <= radius ** 2\nreturn ~painted", "join consecutive points"),
        ("rows, cols = np.mgrid[0:64, 0:64]\ncentres = np.stack([cols + 0.0, rows + 0.0], axis=-1)\n"
         "painted = np.zeros((64, 64), bool)\np = np.asarray(points, float)\nfor a, b in zip(p[:-1], p[1:]):\n"
         "    t = np.clip((centres - a) @ (b - a) / ((b - a) @ (b - a)), 0, 1)\n"
         "    painted |= ((centres - a - t[..., None] * (b - a)) ** 2).sum(axis=-1) <= radius ** 2\nreturn ~painted",
         "i + ½"),
        ("rows, cols = np.mgrid[0:64, 0:64]\ncentres = np.stack([cols + 0.5, rows + 0.5], axis=-1)\n"
         "painted = np.zeros((64, 64), bool)\np = np.asarray(points, float)\nfor a, b in zip(p[:-1], p[1:]):\n"
         "    t = np.clip((centres - a) @ (b - a) / ((b - a) @ (b - a)), 0, 1)\n"
         "    painted |= ((centres - a - t[..., None] * (b - a)) ** 2).sum(axis=-1) <= radius ** 2\nreturn painted",
         "inside out")],
}


# ----------------------------------------------------------------------------- the instructor notebooks
def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell) -> str:
    return "".join(cell["source"])


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _solution_cells() -> dict[str, str]:
    """key → the source of the cell in which the learner writes the function (instructor version)."""
    found = {}
    for path in NOTEBOOKS:
        for cell in _cells(path):
            grade_id = _nbgrader(cell).get("grade_id", "")
            if cell["cell_type"] == "code" and _nbgrader(cell).get("solution") and grade_id.endswith("-answer"):
                key = grade_id.removesuffix("-answer").replace("-", ".", 1)
                found[key] = _source(cell)
    return found


SOLUTIONS = _solution_cells()


def _with_body(source: str, body: str) -> str:
    """The cell's source with its solution region replaced by ``body`` (indented like the region)."""
    lines = source.split("\n")
    start = next(i for i, line in enumerate(lines) if BEGIN in line)
    end = next(i for i, line in enumerate(lines) if END in line)
    indent = re.match(r"\s*", lines[start]).group(0)
    return "\n".join(lines[:start] + [indent + line if line else line for line in body.split("\n")] + lines[end + 1:])


def _reference(source: str) -> str:
    """The cell with its reference solution in place and the markers removed (what passes)."""
    return "\n".join(line for line in source.split("\n") if BEGIN not in line and END not in line)


def _define(key: str, source: str):
    namespace = {"np": np}
    exec(compile(source, f"<{key}>", "exec"), namespace)
    return namespace[exercises.EXERCISES[key].name]


def _cases(kind: str):
    return [(key, i) for key in exercises.EXERCISES for i in range(len(WRONG.get(key, [])))] if kind == "wrong" else \
        list(exercises.EXERCISES)


# ----------------------------------------------------------------------------- the checks themselves
def test_every_exercise_has_a_solution_cell_a_check_and_planted_mistakes():
    assert set(SOLUTIONS) == set(exercises.EXERCISES) == set(WRONG)
    for notebook in ("00", "01", "02", "03", "04", "05", "06", "07"):
        assert len(exercises.keys(notebook)) >= 3, f"notebook {notebook} needs at least three exercises"
    for key, source in SOLUTIONS.items():
        assert source.count(BEGIN) == 1 and source.count(END) == 1, key
        assert f"def {exercises.EXERCISES[key].name}(" in source, key


@pytest.mark.parametrize("key", _cases("right"))
def test_the_reference_solution_passes(key):
    feedback = exercises.check(key, _define(key, _reference(SOLUTIONS[key])))
    assert feedback.passed is True and feedback.message.startswith("✓"), feedback.message


@pytest.mark.parametrize("key, which", _cases("wrong"))
def test_a_planted_mistake_fails_and_is_named(key, which):
    body, expected = WRONG[key][which]
    feedback = exercises.check(key, _define(key, _with_body(SOLUTIONS[key], body)))
    assert feedback.passed is False and feedback.message.startswith("✗"), feedback.message
    assert expected in feedback.message.replace("\n", " "), feedback.message
    assert exercises.hint(key) not in feedback.message.replace("\n", " "), "hints only on request"


@pytest.mark.parametrize("key", _cases("right"))
def test_an_unwritten_function_is_not_done_yet_and_none_is_too(key):
    stub = _define(key, _with_body(SOLUTIONS[key], "# YOUR CODE HERE\n" + STUB))
    for answer in (stub, None):
        feedback = exercises.check(key, answer)
        assert feedback.passed is None and "not done yet" in feedback.message, feedback.message


def test_the_kits_own_functions_are_refused():
    refused = {"00.psnr": metrics.psnr_from_mse, "01.d_loss": dcgan.discriminator_loss,
               "01.g_loss": dcgan.generator_loss, "02.content_weights": losses.content_weights,
               "03.blend_channel": blending.poisson_blend, "04.own_asymmetry": shortcomings.mirror_color_gap,
               "05.refinement_loss": refinement.refinement_loss, "06.hole_only_ratio": reports.hole_only_ratio,
               "07.default_mu": faces.default_mu, "07.crop_box": faces.celeba_crop_box,
               "07.stroke_mask": masks.mask_from_strokes, "00.stripe_share": masks.missing_fraction}
    for key, function in refused.items():
        feedback = exercises.check(key, function)
        assert feedback.passed is False and "the kit's own" in feedback.message, (key, feedback.message)
    # a number computed by the kit inside the answer is refused too
    wrapped = lambda: float(masks.missing_fraction(masks.make_mask(3, seed=0, stripe_width=12)))  # noqa: E731
    assert "calls the kit's own inpaintkit.masks" in exercises.check("00.stripe_share", wrapped).message


def test_no_reference_solution_is_importable_from_the_package():
    assert not hasattr(exercises, "SOLUTIONS")
    package = {p.name: p.read_text() for p in (ROOT / "inpaintkit").glob("*.py")}
    for key, source in SOLUTIONS.items():
        lines = source.split("\n")
        region = [l.strip() for l in lines[lines.index(next(l for l in lines if BEGIN in l)) + 1:
                                           lines.index(next(l for l in lines if END in l))] if l.strip()]
        for name, text in package.items():
            assert not all(line in text for line in region), f"{key}'s reference solution is in inpaintkit/{name}"


def test_numbers_are_accepted_to_three_significant_figures_and_close_ones_are_told_so():
    exact = (2 * 12 * 64 - 12 * 12) / 64 ** 2
    assert exercises.check("00.stripe_share", round(exact, 3)).passed is True          # 0.340 for 0.33984
    assert exercises.check("00.stripe_share", lambda: round(exact, 3)).passed is True
    close = exercises.check("00.stripe_share", exact * 1.02)
    assert close.passed is False and "close" in close.message and "3 significant figures" in close.message
    far = exercises.check("00.stripe_share", 0.6)
    assert far.passed is False and "close" not in far.message
    assert "one number" in exercises.check("00.stripe_share", "0.34").message
    assert "one number" in exercises.check("00.stripe_share", [0.34]).message


def test_success_texts_are_computed_from_the_kit():
    feedback = exercises.check("06.psnr_of_mean", lambda: 0.969)
    expected = float(np.mean(metrics.psnr_from_mse([100.0, 400.0])) - metrics.psnr_from_mse(250.0))
    assert feedback.passed and f"{expected:.3f} dB" in feedback.message
    feedback = exercises.check("02.first_step", 0.01)
    assert feedback.passed and "0.01 = α" in feedback.message


def test_hints_come_only_on_request():
    wrong = exercises.check("01.equilibrium", 1.0)
    assert exercises.hint("01.equilibrium") not in wrong.message and 'exercises.hint("01.equilibrium")' in wrong.message
    assert exercises.hint("01.equilibrium") in exercises.check("01.equilibrium", 1.0, hint=True).message.replace("\n", " ")


def test_functions_are_checked_on_fresh_inputs_each_time():
    seen, outputs = [], []

    def psnr(mse):
        seen.append(np.array(mse, copy=True))
        outputs.append(10 * np.log10(255.0 ** 2 / np.asarray(mse, float)))
        return outputs[-1]

    assert exercises.check("00.psnr", psnr).passed
    first = len(seen)
    assert exercises.check("00.psnr", psnr).passed
    assert not any(np.array_equal(seen[0], later) for later in seen[first:]), "the inputs repeat between checks"
    replay = iter(outputs)  # a function that replays the answers it saw before fails on fresh inputs
    assert exercises.check("00.psnr", lambda mse: next(replay)).passed is False


def test_a_learners_exception_is_reported_and_grade_raises_unless_right():
    feedback = exercises.check("03.blend_channel", lambda y, known, guide, L: 1 / 0)
    assert feedback.passed is False and "raised ZeroDivisionError" in feedback.message
    assert "returned None" in exercises.check("00.psnr", lambda mse: None).message
    with pytest.raises(AssertionError, match="not yet"):
        exercises.grade("01.equilibrium", 1.0)
    exercises.grade("01.equilibrium", lambda: 2 * np.log(2))
    with pytest.raises(KeyError, match="no exercise"):
        exercises.check("99.nothing", 1)


# ----------------------------------------------------------------------------- the notebooks' cells
def test_each_exercise_sits_in_its_notebook_as_task_solution_and_check_cells():
    for path in NOTEBOOKS:
        cells = _cells(path)
        for i, cell in enumerate(cells):
            grade_id = _nbgrader(cell).get("grade_id", "")
            if not grade_id.endswith("-answer"):
                continue
            key = grade_id.removesuffix("-answer").replace("-", ".", 1)
            assert key.startswith(path.name[:2]), f"{key} sits in {path.name}"
            check = cells[i + 1]
            name = exercises.EXERCISES[key].name
            assert _nbgrader(check).get("grade") and _nbgrader(check).get("locked"), f"{key}: check cell not locked"
            assert _source(check).endswith(f'exercises.check("{key}", {name})'), _source(check)
            assert f'exercises.grade("{key}", {name})' in _source(check).split("### END HIDDEN TESTS")[0]
            assert f"Exercise {key}." in _source(cells[i - 1]), f"{key}: no task above its cell"


def test_narrative_cells_never_use_a_learners_function():
    """The student version keeps every other cell as it is: none may call what the learner writes."""
    for path in NOTEBOOKS:
        cells = _cells(path)
        written = {exercises.EXERCISES[k].name for k in SOLUTIONS if k.startswith(path.name[:2])}
        for cell in cells:
            if cell["cell_type"] != "code" or _nbgrader(cell).get("solution") or _nbgrader(cell).get("grade"):
                continue
            names = [node for node in ast.walk(ast.parse(_source(cell))) if isinstance(node, ast.Name)]
            assigned = {node.id for node in names if isinstance(node.ctx, ast.Store)}  # its own variable
            used = {node.id for node in names if isinstance(node.ctx, ast.Load)} - assigned
            assert not used & written, f"{path.name}: a cell uses {used & written}"


# ----------------------------------------------------------------------------- the student version
@pytest.fixture(scope="module")
def student(tmp_path_factory):
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        pytest.fail("the student version needs nbgrader, one of the test extras: pip install -e '.[test]'")
    sys.path.insert(0, str(ROOT / "tools"))
    from make_student import make_student

    out = tmp_path_factory.mktemp("student") / "student"
    make_student(NOTEBOOKS, out)
    return {path.name: json.loads((out / path.name).read_text()) for path in NOTEBOOKS}


def test_the_student_version_holds_no_solution_hidden_test_answer_or_output(student):
    for path in NOTEBOOKS:
        theirs, ours = student[path.name]["cells"], _cells(path)
        assert [c["id"] for c in theirs] == [c["id"] for c in ours], path.name
        for mine, cell in zip(ours, theirs):
            text = _source(cell)
            for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "exercises.grade("):
                assert marker not in text, (path.name, marker)
            assert not cell.get("outputs"), f"{path.name}: outputs in the student version"
            meta = _nbgrader(mine)
            if meta.get("solution") and cell["cell_type"] == "code":
                assert text == _with_body(_source(mine), "# YOUR CODE HERE\n" + STUB), (path.name, text)
            elif meta.get("solution"):
                assert "**Answers**" not in text and text.startswith("Your answers here"), (path.name, text)
            elif meta.get("grade"):
                assert text == _source(mine).split("### END HIDDEN TESTS\n")[1], (path.name, text)
            else:
                assert text == _source(mine), f"{path.name}: cell {mine['id']} differs in the student version"


def _exercise_run(notebook: dict, variant: str) -> list[dict]:
    """The setup cell, then every exercise's function (as the student has it, with the reference put
    back, or with the first planted mistake) and its check."""
    cells = notebook["cells"]
    chosen = [next(c for c in cells if c["cell_type"] == "code")]
    for i, cell in enumerate(cells):
        grade_id = _nbgrader(cell).get("grade_id", "")
        if cell["cell_type"] != "code" or not grade_id.endswith("-answer"):
            continue
        key = grade_id.removesuffix("-answer").replace("-", ".", 1)
        source = {"student": _source(cell), "reference": _reference(SOLUTIONS[key]),
                  "wrong": _with_body(SOLUTIONS[key], WRONG[key][0][0])}[variant]
        chosen += [{**cell, "source": source, "outputs": []}, {**cells[i + 1], "outputs": []}]
    return chosen


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_the_student_version_runs_unwritten_right_and_wrong(student, path, monkeypatch):
    """Every check says "not done yet" as the student gets it, ✓ with the reference solutions put
    back, and ✗ naming the planted mistake; no cell raises (fast budget)."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("INPAINTKIT_BUDGET", "fast")
    monkeypatch.delenv("INPAINTKIT_FAST", raising=False)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    notebook = json.loads(json.dumps(student[path.name]))
    variants = ("student", "reference", "wrong")
    cells = []
    for variant in variants:
        run = _exercise_run(notebook, variant)
        cells += (run if not cells else run[1:])
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    notebook["cells"] = cells
    executed = NotebookClient(nbformat.from_dict(notebook), timeout=1800, kernel_name="python3",
                              resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    checks = [c for c in executed.cells if "exercises.check(" in _source(c)]
    keys = [re.search(r'exercises\.check\("([^"]+)"', _source(c)).group(1) for c in checks]
    count = len(keys) // 3
    assert count == len(exercises.keys(path.name[:2])) and count >= 3
    for n, (cell, key) in enumerate(zip(checks, keys)):
        text = "".join(o["data"]["text/plain"] for o in cell["outputs"] if o.get("output_type") == "execute_result")
        variant = variants[n // count]
        if variant == "student":
            assert text.startswith("… ") and "not done yet" in text, (key, text)
        elif variant == "reference":
            assert text.startswith("✓"), (key, text)
        else:
            assert text.startswith("✗") and WRONG[key][0][1] in text.replace("\n", " "), (key, text)
