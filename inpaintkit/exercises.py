"""Exercises with instant checks for the notebooks (d2l and fastbook end each section with some).

Every exercise cell of every notebook follows one pattern::

    answer = None          # your answer: a number, an array or a function, as the task says
    exercises.check("02.window_weight", answer)

``check`` answers ✓ or ✗ with a hint. While ``answer`` is still ``None`` it shows the task and
the hint and fails nothing, so the notebooks run unattended (CI runs them with nbval). A wrong
answer gets ✗ and a hint, never an exception: a learner's function that raises is reported too.

The reference solutions live in one place, :data:`SOLUTIONS` at the end of this module (look
only after trying); ``tests/test_exercises.py`` checks every exercise with its reference (must
pass) and with a planted wrong answer (must fail).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["EXERCISES", "SOLUTIONS", "check", "Exercise", "Feedback", "keys", "task"]


@dataclass(frozen=True)
class Feedback:
    """The answer to one check: ``passed`` is True, False, or None (no answer yet)."""

    key: str
    passed: bool | None
    message: str

    def __bool__(self) -> bool:
        return bool(self.passed)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Exercise:
    key: str              # "NN.name": the notebook it belongs to, and a name
    task: str             # what to compute, and in what form
    hint: str             # shown with a wrong answer and while there is none
    kind: str             # "number", "array", "function" or "choice"
    judge: Callable[[Any, Any], str | None]  # (answer, reference) → None if right, else what is wrong
    explain: str = ""     # shown with a right answer: what it means


# ----------------------------------------------------------------------------- judges
def _number(rtol: float = 1e-3, atol: float = 1e-6):
    def judge(answer, reference):
        if isinstance(answer, bool) or not isinstance(answer, (int, float, np.integer, np.floating)):
            return f"the answer should be a single number, got {type(answer).__name__}"
        if not math.isfinite(float(answer)):
            return f"the answer should be a finite number, got {answer}"
        if not math.isclose(float(answer), float(reference), rel_tol=rtol, abs_tol=atol):
            return f"{float(answer):.6g} is not it"
        return None
    return judge


def _array(dtype=None):
    def judge(answer, reference):
        if answer is None or not hasattr(answer, "__len__"):
            return f"the answer should be an array, got {type(answer).__name__}"
        answer = np.asarray(answer)
        if answer.shape != reference.shape:
            return f"the shape should be {reference.shape}, got {answer.shape}"
        if dtype is not None and answer.dtype != dtype:
            return f"the dtype should be {np.dtype(dtype).name}, got {answer.dtype}"
        if not np.allclose(answer, reference, atol=1e-6):
            wrong = int((~np.isclose(answer, reference, atol=1e-6)).sum())
            return f"{wrong} of {reference.size} entries differ from the expected array"
        return None
    return judge


def _function(cases: Callable[[], list[tuple]], rtol: float = 1e-4, atol: float = 1e-5):
    """Call the learner's function and the reference on the same inputs; outputs must agree."""
    def judge(answer, reference):
        if not callable(answer):
            return f"the answer should be a function, got {type(answer).__name__}"
        for args in cases():
            expected = np.asarray(reference(*args), dtype=float)
            try:
                got = np.asarray(answer(*args), dtype=float)
            except Exception as error:  # the learner's code: report, do not crash the notebook
                return f"your function raised {type(error).__name__}: {error}"
            if got.shape != expected.shape:
                return f"for inputs of shapes {[np.shape(a) for a in args]} the output should have shape " \
                       f"{expected.shape}, got {got.shape}"
            if not np.allclose(got, expected, rtol=rtol, atol=atol):
                return f"for one test input it returned {np.round(got, 4).ravel()[:4]}, expected " \
                       f"{np.round(expected, 4).ravel()[:4]}"
        return None
    return judge


def _choice(options: str):
    def judge(answer, reference):
        if not isinstance(answer, str) or answer.strip().lower() not in options:
            return f"answer with one of the letters {', '.join(repr(o) for o in options)}"
        if answer.strip().lower() != reference:
            return f"({answer.strip().lower()}) is not it"
        return None
    return judge


def _rng_cases(make: Callable[[np.random.Generator], tuple], count: int = 3) -> Callable[[], list[tuple]]:
    return lambda: [make(np.random.default_rng(seed)) for seed in range(count)]


# ----------------------------------------------------------------------------- the exercises
_EXERCISES = [
    # 00 · faces, holes, scores
    Exercise("00.big_square_share",
             "Pattern (2) is a 45×45 square in a 64×64 image. What fraction of the pixels is missing? (a number)",
             "count the hole's pixels and divide by all pixels", "number", _number(atol=5e-4),
             "45² / 64² = 0.494: the paper's '50 %' is a little less."),
    Exercise("00.ring_size",
             "For the centred 32×32 hole, how many pixels does S hold with a window of n = 5 instead of 7? (a number)",
             "S is the ring of known pixels within (n − 1)/2 pixels of the hole: a bigger square minus the hole",
             "number", _number(atol=0.5), "(32 + 4)² − 32² = 272: a smaller window, a thinner band."),
    Exercise("00.eye_band",
             "Make your own mask: a `known` array (64, 64) of bools that hides the rows 24 to 39 (16 rows, all "
             "columns), where the eyes are. (an array)",
             "start from np.ones((64, 64), bool) and set a slice of rows to False; row 39 is included",
             "array", _array(bool), "Any boolean array works with the kit: try masks.apply_mask(faces[0], answer)."),
    Exercise("00.psnr",
             "Write psnr(mse) that turns a mean squared error on the 0–255 scale into PSNR in dB. (a function)",
             "PSNR = 10·log10(peak² / MSE) with peak = 255", "function",
             _function(lambda: [(np.array([1.0, 100.0, 777.16]),), (np.array([65.025]),)]),
             "MSE 777.16 gives 19.23 dB, as in the paper's Table 1."),
    # 01 · DCGAN
    Exercise("01.d_loss",
             "Write d_loss(real_logits, fake_logits) for NumPy arrays of D's logits: the mean of −log D(x) over the "
             "real images plus the mean of −log(1 − D(G(z))) over the fakes, D = sigmoid. (a function)",
             "−log σ(ℓ) = log(1 + e^−ℓ) = np.logaddexp(0, −ℓ), and −log(1 − σ(ℓ)) = np.logaddexp(0, ℓ)",
             "function", _function(_rng_cases(lambda r: (r.normal(0, 3, (8, 1)), r.normal(0, 3, (8, 1))))),
             "That is dcgan.discriminator_loss: logaddexp never overflows, unlike log(sigmoid(ℓ))."),
    Exercise("01.g_loss",
             "Write g_loss(fake_logits): the non-saturating generator loss, the mean of −log D(G(z)). (a function)",
             "the same −log σ(ℓ) as for real images in D's loss, now on the fakes", "function",
             _function(_rng_cases(lambda r: (r.normal(0, 3, (8, 1)),))),
             "Early on D rejects the fakes (ℓ ≪ 0): −log σ(ℓ) then has slope ≈ −1, while log(1 − σ(ℓ)) is flat."),
    Exercise("01.equilibrium",
             "At the game's equilibrium D cannot tell real from fake and outputs 1/2 everywhere. What is D's "
             "loss d_loss there? (a number)", "both terms are −log(1/2)", "number", _number(),
             "2·ln 2 ≈ 1.386: a D loss near this value means D is guessing."),
    Exercise("01.fit_reach",
             "Adam's update of one coordinate of z is at most about the step size, 0.003, per step. How far can one "
             "coordinate of z travel in the 40 steps of the fast budget, at most? (a number)",
             "steps × step size", "number", _number(),
             "0.12 of a range of 2: why the held-out fit needs hundreds of steps before G shows what it knows."),
    # 02 · semantic inpainting
    Exercise("02.window_weight",
             "Eq. 4 with n = 7 and the centred 32×32 hole (rows and columns 16–47): what is the weight w of the known "
             "pixel at row 15, column 16? (a number)",
             "its 7×7 window spans rows 12–18 and columns 13–19; count the missing pixels |H| and the known |Hᶜ|",
             "number", _number(), "12 missing over 37 known: 0.324."),
    Exercise("02.yeh_weight",
             "The same pixel with Yeh et al.'s variant, w = |H| / (n × n) (variant='yeh'). (a number)",
             "the denominator is now the whole window", "number", _number(),
             "12/49 = 0.245: the variants rank pixels alike; the paper's grows faster next to big holes."),
    Exercise("02.lambda_zero",
             "Set λ = 0. What steers z then? (a) only the known pixels in the band S around the hole; (b) only the "
             "discriminator; (c) every known pixel of the image. (a letter)",
             "which term does λ multiply, and which pixels have a non-zero weight in Eq. 4?", "choice",
             _choice("abc"), "Without λ·log(1 − D) only the band counts, and nothing asks G(z) to look real."),
    Exercise("02.adam_first_step",
             "On Adam's first step (t = 1, m and v start at 0), how far does each coordinate of z move, for any "
             "non-zero gradient g (ignore ε and clipping)? (a number)",
             "after bias correction m̂ = g and v̂ = g²", "number", _number(),
             "step·g/|g| = 0.003: Adam's steps have a size set by the step, not by the gradient."),
    # 03 · Poisson blending
    Exercise("03.paper_kernel",
             "Build the paper's 3×3 kernel: ones around a centre of −9. (an array)",
             "np.ones((3, 3)) and then set the centre", "array", _array(),
             "It is the 8-neighbour Laplacian (centre −8) minus the identity."),
    Exercise("03.constant_image",
             "Apply the paper's −9 kernel at an inner pixel of an image that is 1 everywhere. What comes out? "
             "(a number)", "eight neighbours of 1 and the centre weighted −9", "number", _number(),
             "−1, where the −8 Laplacian gives 0: the −9 kernel also sees the intensity itself, so Eq. 6 with it "
             "pulls the fill slightly towards x_g's own values."),
    Exercise("03.fill_1d",
             "In 1-D, Eq. 6 with the Laplacian and a guide with no curvature fills a gap with the smoothest line. "
             "Write fill_1d(left, right, n): the n missing values between known end values left and right. "
             "(a function)", "a straight line from left to right, without the two known ends: np.linspace",
             "function", _function(lambda: [(0.0, 1.0, 3), (-1.0, 1.0, 10), (0.5, 0.5, 1)]),
             "A zero second difference everywhere means a straight line: the 'smoothest surface' baseline of 06."),
    # 04 · shortcomings
    Exercise("04.band_share_left",
             "For the left-half pattern (4) with n = 7, what share of the known pixels carry a non-zero weight in "
             "Eq. 4? (a number)", "the band is (n − 1)/2 columns wide next to the hole; the known half has 32",
             "number", _number(), "3/32 ≈ 9 %: 91 % of what the face shows is ignored by the content loss."),
    Exercise("04.band_share_n15",
             "Predict the effect of a bigger window: for the centred 32×32 hole (5) with n = 15, what share of the "
             "known pixels carry weight? (a number)", "a ring (n − 1)/2 = 7 pixels wide: (32 + 14)² − 32², over "
             "the 3072 known pixels", "number", _number(),
             "36 % instead of 14 %: a bigger window widens the band, but it stays local."),
    Exercise("04.own_asymmetry",
             "The mirror-gap measure needs a baseline: real faces are not symmetric either. Write "
             "own_asymmetry(face) for one face (64, 64, 3) in [−1, 1]: the mean over the left half's pixels of "
             "|face − mirrored face|, averaged over R, G, B, on the 0–255 scale. (a function)",
             "mirror with face[:, ::-1]; the 0–255 scale is (x + 1)·127.5, so a difference scales by 127.5",
             "function", _function(_rng_cases(lambda r: (r.uniform(-1, 1, (64, 64, 3)).astype(np.float32),))),
             "It equals shortcomings.mirror_color_gap of the original face with the left-half mask."),
    # 05 · refinement
    Exercise("05.known_weight_share",
             "In Eq. 9 for the centred square (5) with µ = 0.66, every pixel's L1 term has weight 1 (known) or µ "
             "(missing). What share of the total weight sits on the known pixels? (a number)",
             "3072 known pixels with weight 1 against 1024 missing ones with weight µ", "number", _number(),
             "82 %: the refiner mostly matches the face it can see, which is the global consensus."),
    Exercise("05.lambda_size",
             "How large is the perceptual term |λ·log(1 − D(x))| with λ = 0.003 when D's logit is 5 (D is 99 % "
             "sure the image is real)? (a number)", "log(1 − σ(ℓ)) = −log(1 + e^ℓ)", "number", _number(),
             "0.015, against L1 sums in the hundreds: λ·perceptual barely moves z."),
    Exercise("05.swapped_sets",
             "The paper prints Eq. 7 over M and Eq. 8 over Mᶜ (swapped). Taken literally, µ < 1 weighs the known "
             "pixels and weight 1 the inpainted ones. What would refinement do? (a) pull G(z) to the known pixels "
             "harder than now; (b) mostly copy x_b's already-filled hole and care less about the known face; "
             "(c) nothing different. (a letter)", "which pixels would get the full weight?", "choice", _choice("abc"),
             "The global consensus, the paper's point, would be weakened: its prose means the kit's reading."),
    # 06 · evaluation
    Exercise("06.mae_bound",
             "A blended image is exact outside its hole, which covers f = 0.25 of the pixels; its whole-image MSE "
             "is 400. What is the largest whole-image MAE it can have? (a number)",
             "Cauchy–Schwarz: MAE ≤ √(f·MSE)", "number", _number(),
             "10. The paper's Table 1 breaks this bound on every row (notebook 06)."),
    Exercise("06.hole_only_ratio",
             "Write hole_only_ratio(mae, mse, f) = MAE / √(f·MSE), for NumPy arrays. (a function)",
             "np.sqrt", "function",
             _function(_rng_cases(lambda r: (r.uniform(1, 20, 5), r.uniform(100, 900, 5), r.uniform(0.2, 0.7, 5)))),
             "At most 1 when all the error is in the hole."),
    Exercise("06.psnr_of_mean",
             "Two faces have MSE 100 and 400. By how many dB does the mean of their PSNRs exceed the PSNR of their "
             "mean MSE (the paper's way)? (a number)",
             "PSNR = 10·log10(255²/MSE); compute both and subtract", "number", _number(),
             "1.06 dB: averaging logs favours the good images; say which one a table reports."),
]
EXERCISES: dict[str, Exercise] = {e.key: e for e in _EXERCISES}


def keys(notebook: str | None = None) -> list[str]:
    """The exercise keys, all or those of one notebook ("02")."""
    return [k for k in EXERCISES if notebook is None or k.startswith(f"{notebook}.")]


def task(key: str) -> str:
    """The task of an exercise, with its hint."""
    exercise = _get(key)
    return f"{exercise.task}\nHint: {exercise.hint}"


def check(key: str, answer) -> Feedback:
    """Check a learner's answer: ✓ (right), ✗ with a hint (wrong), or the task (answer is None)."""
    exercise = _get(key)
    if answer is None:
        return _feedback(key, None, f"[{key}] not answered yet. {exercise.task}", f"Hint: {exercise.hint}")
    problem = exercise.judge(answer, SOLUTIONS[key])
    if problem is None:
        return _feedback(key, True, f"✓ [{key}] right. {exercise.explain}".rstrip())
    return _feedback(key, False, f"✗ [{key}] not yet: {problem}.", f"Hint: {exercise.hint}")


def _feedback(key: str, passed: bool | None, *paragraphs: str) -> Feedback:
    """Paragraphs wrapped at 100 characters: a notebook shows plain text without wrapping words."""
    import textwrap

    text = "\n".join(textwrap.fill(p, width=100, break_long_words=False, break_on_hyphens=False) for p in paragraphs)
    return Feedback(key, passed, text)


def _get(key: str) -> Exercise:
    if key not in EXERCISES:
        raise KeyError(f"no exercise {key!r}; the exercises are {', '.join(EXERCISES)}")
    return EXERCISES[key]


# ----------------------------------------------------------------------------- reference solutions
# One place for every answer. Look here only after trying.
def _eye_band() -> np.ndarray:
    known = np.ones((64, 64), dtype=bool)
    known[24:40] = False
    return known


def _d_loss(real_logits, fake_logits):
    return np.mean(np.logaddexp(0.0, -np.asarray(real_logits))) + np.mean(np.logaddexp(0.0, np.asarray(fake_logits)))


def _own_asymmetry(face):
    face = np.asarray(face, dtype=np.float64)
    difference = np.abs(face - face[:, ::-1]).mean(axis=-1) * 127.5
    return difference[:, :32].mean()


def _psnr(mse):
    return 10 * np.log10(255.0 ** 2 / np.asarray(mse, dtype=float))


SOLUTIONS: dict[str, Any] = {
    "00.big_square_share": 45 * 45 / 64 ** 2,
    "00.ring_size": (32 + 4) ** 2 - 32 ** 2,
    "00.eye_band": _eye_band(),
    "00.psnr": _psnr,
    "01.d_loss": _d_loss,
    "01.g_loss": lambda fake_logits: np.mean(np.logaddexp(0.0, -np.asarray(fake_logits))),
    "01.equilibrium": 2 * math.log(2),
    "01.fit_reach": 40 * 0.003,
    "02.window_weight": 12 / 37,
    "02.yeh_weight": 12 / 49,
    "02.lambda_zero": "a",
    "02.adam_first_step": 0.003,
    "03.paper_kernel": np.array([[1.0, 1.0, 1.0], [1.0, -9.0, 1.0], [1.0, 1.0, 1.0]]),
    "03.constant_image": -1.0,
    "03.fill_1d": lambda left, right, n: np.linspace(left, right, n + 2)[1:-1],
    "04.band_share_left": 3 * 64 / (32 * 64),
    "04.band_share_n15": ((32 + 14) ** 2 - 32 ** 2) / (64 * 64 - 32 * 32),
    "04.own_asymmetry": _own_asymmetry,
    "05.known_weight_share": 3072 / (3072 + 0.66 * 1024),
    "05.lambda_size": 0.003 * math.log1p(math.exp(5.0)),
    "05.swapped_sets": "b",
    "06.mae_bound": math.sqrt(0.25 * 400),
    "06.hole_only_ratio": lambda mae, mse, f: np.asarray(mae) / np.sqrt(np.asarray(f) * np.asarray(mse)),
    "06.psnr_of_mean": float((_psnr(100.0) + _psnr(400.0)) / 2 - _psnr(250.0)),
}
