"""a5 checks of the student's data.py: channel_stats, build_transforms, make_loaders.

The loader checks work from behaviour, not from the loaders' internals: the
grader sends a synthetic CIFAR-10 (fresh per grading run) that the worker
writes in torchvision's format, reads the normalisation back from the pixel
lattice of the test images (:mod:`normalisation`), maps every image the
loaders yield back to its raw pixels, and so finds which images form the
validation split and whether anything random happened outside training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.checks import PropertyCheck
from autograder.checks.base import Check, CheckFailed, Context
from autograder.rubrics.a5_cifar10.normalisation import infer_normalisation, match_images, pixel_stats
from autograder.rubrics.a5_cifar10.reports import fmt, shared_task_report, task_report
from autograder.sandbox.client import Call

STATS_TOL = 5e-5
N_TRAIN, N_TEST, VAL_FRACTION, BATCH_SIZE = 200, 60, 0.2, 32


def report_array(report: dict, key: str, ndim: int | None = None, kind: str = "f") -> np.ndarray:
    """report[key] if it is an array of that dimension and kind; CheckFailed otherwise."""
    value = report.get(key)
    if type(value) is not np.ndarray or value.dtype.kind not in kind or (ndim and value.ndim != ndim):
        raise CheckFailed(f"the worker sent back malformed data ({key})")
    return value


def finite_numbers(value, n: int, what: str) -> np.ndarray | str:
    """A sequence of n finite numbers as a float64 array (n,), or a message."""
    try:
        array = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return f"{what} should be {n} numbers, got {type(value).__name__}"
    if array.shape != (n,) or not np.all(np.isfinite(array)):
        return f"{what} should be {n} finite numbers, got {np.shape(value)}"
    return array


# -- channel_stats -----------------------------------------------------------------------------
def channel_stats_inputs(rng: np.random.Generator) -> np.ndarray:
    """uint8 images (5..8, 32, 32, 3) whose channels have different statistics."""
    images = rng.integers(0, 256, size=(int(rng.integers(5, 9)), 32, 32, 3), dtype=np.uint8)
    images[..., 1] //= 2
    images[..., 2] = 255 - images[..., 2] // 3
    return images


def channel_stats_check(ctx: Context, check: Check) -> tuple[float, str]:
    images = channel_stats_inputs(ctx.rng(check.name))

    def compute(ref):
        mean, std = ref.get("data:channel_stats")(images.copy())
        return np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)

    expected_mean, expected_std = ctx.expected(check, "stats", compute)
    outcome = ctx.sandbox.run([Call("data:channel_stats", (images,))], timeout=check.timeout)[0]
    if not outcome.ok:
        return 0.0, f"channel_stats: {outcome.error}"
    value = outcome.value
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return 0.0, "channel_stats should return a pair (mean, std) of 3 floats each"
    mean, std = (finite_numbers(v, 3, f"the {name}") for v, name in zip(value, ("mean", "std")))
    for part in (mean, std):
        if isinstance(part, str):
            return 0.0, f"channel_stats: {part} (one per channel)"
    ok_mean = np.allclose(mean, expected_mean, rtol=1e-9, atol=1e-12)
    ok_std = np.allclose(std, expected_std, rtol=1e-9, atol=1e-12)
    if ok_mean and ok_std:
        return 1.0, ""
    scaled = images.reshape(-1, 3).astype(np.float64) / 255
    if np.allclose(mean, expected_mean * 255, rtol=1e-6) or np.allclose(std, expected_std * 255, rtol=1e-6):
        return 0.0, "channel_stats works on 0..255 values: scale the images to [0, 1] (divide by 255) first"
    if ok_mean and np.allclose(std, scaled.std(axis=0, ddof=1), rtol=1e-9):
        return 0.5, "the std is the sample std (divisor n - 1); SPEC asks for the population std (divisor n)"
    if ok_mean and np.allclose(std, scaled.var(axis=0), rtol=1e-9):
        return 0.5, "that is the variance; return its square root, the standard deviation"
    wrong = " and ".join(name for name, ok in (("mean", ok_mean), ("std", ok_std)) if not ok)
    return (0.5 if ok_mean or ok_std else 0.0), (
        f"the {wrong} per channel differ from the expected values: got mean {fmt(mean)}, std {fmt(std)}, "
        f"expected {fmt(expected_mean)}, {fmt(expected_std)} (over all images and pixels of each channel)"
    )


# -- build_transforms --------------------------------------------------------------------------
def transform_inputs(rng: np.random.Generator) -> tuple[np.ndarray, list[float], list[float]]:
    """Three uint8 images (3, 32, 32, 3) and a mean and std of 3 floats each."""
    images = rng.integers(0, 256, size=(3, 32, 32, 3), dtype=np.uint8)
    mean = [float(v) for v in rng.uniform(0.35, 0.65, 3)]
    std = [float(v) for v in rng.uniform(0.15, 0.35, 3)]
    return images, mean, std


def normalised(images: np.ndarray, mean, std) -> np.ndarray:
    """(x / 255 - mean) / std of uint8 images (N, 32, 32, 3), channels first: (N, 3, 32, 32)."""
    return ((images.astype(np.float64) / 255 - mean) / std).transpose(0, 3, 1, 2)


def all_crops(image: np.ndarray, mean, std) -> np.ndarray:
    """Every 4-padded 32x32 crop of one image, flipped or not, normalised: (162, 3, 32, 32)."""
    padded = np.pad(image.astype(np.float64) / 255, ((4, 4), (4, 4), (0, 0)))
    out = []
    for dy in range(9):
        for dx in range(9):
            crop = ((padded[dy : dy + 32, dx : dx + 32] - mean) / std).transpose(2, 0, 1)
            out += [crop, crop[:, :, ::-1]]
    return np.stack(out)


def transforms_eval_check(ctx: Context, check: Check) -> tuple[float, str]:
    images, mean, std = transform_inputs(ctx.rng(check.name))
    report = task_report(ctx, check, "transform_report", mean, std, images, [0], what="build_transforms")
    want = normalised(images, np.asarray(mean), np.asarray(std))
    calls = {
        "eval": "build_transforms(mean, std, train=False)",
        "eval_augment": "build_transforms(mean, std, train=False, augment=True)",
        "train_plain": "build_transforms(mean, std, train=True, augment=False)",
    }
    problems = []
    for key, call in calls.items():
        got = report.get(key)
        if type(got) is not np.ndarray or got.dtype.kind != "f" or got.ndim != 4:
            return 0.0, f"{call} should turn a PIL image into a tensor"
        if got.shape != want.shape:
            problems.append(
                f"{call} gives shape {got.shape[1:]}, expected (3, 32, 32) (ToTensor puts channels first)"
            )
        elif got.dtype != np.float32:
            problems.append(f"{call} gives {got.dtype}, expected float32 (ToTensor)")
        elif not np.allclose(got, want, atol=1e-5, rtol=1e-5):
            if np.allclose(got, images.transpose(0, 3, 1, 2) / 255, atol=1e-5):
                problems.append(f"{call} does not normalise: add Normalize(mean, std) after ToTensor")
            elif np.allclose(
                got,
                (images.transpose(0, 3, 1, 2) - np.asarray(mean)[:, None, None])
                / np.asarray(std)[:, None, None],
                atol=1e-3,
            ):
                problems.append(f"{call} normalises 0..255 values: ToTensor must come before Normalize")
            elif any(np.allclose(got[0], crop, atol=1e-5) for crop in all_crops(images[0], mean, std)):
                problems.append(
                    f"{call} crops or flips: augmentation belongs only to training with augment=True"
                )
            else:
                err = float(np.abs(got - want).max())
                problems.append(
                    f"{call} does not give (x / 255 - mean) / std per channel (largest difference {err:.3g})"
                )
    if not problems:
        return 1.0, ""
    return 1.0 - len(problems) / len(calls), problems[0] + (
        f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        if len(problems) > 1
        else ""
    )


def transforms_augment_check(ctx: Context, check: Check) -> tuple[float, str]:
    images, mean, std = transform_inputs(ctx.rng(check.name))
    seeds = list(range(16))
    report = task_report(ctx, check, "transform_report", mean, std, images, seeds, what="build_transforms")
    got = report.get("augmented")
    if type(got) is not np.ndarray or got.dtype.kind != "f" or got.ndim != 4:
        return 0.0, "build_transforms(mean, std, train=True) should turn a PIL image into a tensor"
    if got.shape != (len(seeds), 3, 32, 32):
        return 0.0, f"the training transform gives shape {got.shape[1:]}, expected (3, 32, 32)"
    crops = all_crops(images[0], np.asarray(mean), np.asarray(std))
    which = []
    for out in got:
        close = np.flatnonzero(np.abs(crops - out).reshape(len(crops), -1).max(axis=1) < 1e-5)
        if not len(close):
            return 0.0, (
                "the training transform gives an image that is not a 32x32 crop of the image padded "
                "with 4 black pixels (optionally flipped), normalised: use RandomCrop(32, padding=4) "
                "and RandomHorizontalFlip() before ToTensor and Normalize"
            )
        which.append(int(close[0]))
    offsets = {w // 2 for w in which}
    flips = {w % 2 for w in which}
    if len(offsets) == 1 and len(flips) == 1:
        return 0.0, "the training transform does not augment: it gives the same image under every seed"
    if len(offsets) == 1:
        return 0.5, (
            "the training transform flips but never shifts: RandomCrop(32, padding=4) pads by 4 "
            "pixels before cropping"
        )
    if len(flips) == 1:
        return 0.5, "the training transform shifts but never flips: add RandomHorizontalFlip()"
    return 1.0, ""


# -- make_loaders ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoaderData:
    """The synthetic CIFAR-10 of this grading run: uint8 images (N, 32, 32, 3), int64 labels
    (N,), and the seed (and a different one) that make_loaders is called with."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    seed: int
    other_seed: int


def loader_data(ctx: Context) -> LoaderData:
    """This run's LoaderData, drawn from ``ctx.rng("make_loaders")``."""
    from autograder.data.synth import synth_arrays

    rng = ctx.rng("make_loaders")
    data_seed, seed, other = (int(v) for v in rng.integers(0, 10_000, 3))
    if other == seed:
        other += 1
    x_train, y_train, x_test, y_test = synth_arrays("cifar10", N_TRAIN, N_TEST, data_seed)
    # infer_normalisation anchors on the brightest pixel: put one in the centre of a test
    # image, where no random crop with padding 4 (nor a flip) can hide it
    x_test[0, 15:17, 15:17, :] = 255
    return LoaderData(x_train, y_train, x_test, y_test, seed, other)


# the make_loaders call whose statistics normalise each loader of the report
_CALL_OF = {"val_again": "again", "train_plain": "plain", "val_of_plain": "plain", "val_other": "other"}


class Loaders:
    """What the student's loaders gave (one worker request per grade), mapped back to raw images.

    Raises CheckFailed when make_loaders failed or its test images cannot be read back.
    """

    def __init__(self, ctx: Context, check: Check):
        data = self.data = loader_data(ctx)
        self.x_train, self.y_train, self.x_test, self.y_test = (
            data.x_train,
            data.y_train,
            data.x_test,
            data.y_test,
        )
        self.report = shared_task_report(
            ctx,
            check,
            "loaders",
            "loader_report",
            data.x_train,
            data.y_train,
            data.x_test,
            data.y_test,
            BATCH_SIZE,
            VAL_FRACTION,
            data.seed,
            data.other_seed,
            what="make_loaders",
        )
        self.test = report_array(self.report, "test", ndim=4)
        self.test_labels = report_array(self.report, "test_labels", ndim=1, kind="iu")
        # each call of make_loaders normalises with its own statistics, read from its test loader
        self.norms = {}
        for call, test_key in (
            ("first", "test"),
            ("again", "test_of_again"),
            ("plain", "test_of_plain"),
            ("other", "test_of_other"),
        ):
            found = infer_normalisation(report_array(self.report, test_key, ndim=4), self.x_test)
            if isinstance(found, str):
                raise CheckFailed(f"the test loader's images: {found}")
            self.norms[call] = found
        self.mean, self.std = self.norms["first"]

    def images(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(images (N, 3, 32, 32), labels (N,)) of one loader of the report."""
        return report_array(self.report, key, ndim=4), report_array(
            self.report, key + "_labels", ndim=1, kind="iu"
        )

    def match(self, key: str, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into ``raw`` of each image of the loader, or -1; its labels)."""
        images, labels = self.images(key)
        return match_images(images, *self.norms[_CALL_OF.get(key, "first")], raw), labels

    def split(self) -> tuple[np.ndarray, np.ndarray]:
        """(train indices, val indices) of the raw training images; CheckFailed if unknowable."""
        val, _ = self.match("val", self.x_train)
        if len(val) and (val >= 0).all():
            return np.setdiff1d(np.arange(len(self.x_train)), val), val
        plain, _ = self.match("train_plain", self.x_train)
        if len(plain) and (plain >= 0).all():
            return np.unique(plain), np.setdiff1d(np.arange(len(self.x_train)), plain)
        raise CheckFailed(
            "cannot tell which training images form the validation split: the validation "
            "loader should give held-out training images, normalised and not augmented"
        )


def loaders_statistics_check(ctx: Context, check: Check) -> tuple[float, str]:
    loaders = Loaders(ctx, check)
    train_idx, val_idx = loaders.split()
    want_mean, want_std = pixel_stats(loaders.x_train[train_idx])

    def close(mean, std):
        return np.abs(loaders.mean - mean).max() < STATS_TOL and np.abs(loaders.std - std).max() < STATS_TOL

    if close(want_mean, want_std):
        return 1.0, ""
    others = [
        ("the test split", loaders.x_test),
        ("the whole training set, validation images included", loaders.x_train),
        ("the validation split", loaders.x_train[val_idx]),
    ]
    for name, images in others:
        if close(*pixel_stats(images)):
            return 0.0, (
                f"the loaders normalise with the statistics of {name}; use channel_stats of the "
                "training split only (the training images left after holding out the validation split)"
            )
    return 0.0, (
        f"the loaders normalise with mean {fmt(loaders.mean)} and std {fmt(loaders.std)}; the "
        f"training split's channel_stats are {fmt(want_mean)} and {fmt(want_std)}"
    )


def loaders_augmentation_check(ctx: Context, check: Check) -> tuple[float, str]:
    loaders = Loaders(ctx, check)
    problems = []
    test_idx, test_labels = loaders.match("test", loaders.x_test)
    again, _ = loaders.images("test_again")
    if again.shape != loaders.test.shape or not np.array_equal(again, loaders.test):
        problems.append(
            "two passes over the test loader give different test images: nothing random may "
            "happen outside training (no augmentation in the test transform)"
        )
    elif (test_idx < 0).any():
        problems.append(
            f"{int((test_idx < 0).sum())} of {len(test_idx)} test images are not the plain "
            "normalised test images: random crops and flips belong to the training loader only"
        )
    elif sorted(test_idx.tolist()) != list(range(len(loaders.x_test))) or not np.array_equal(
        test_labels, loaders.y_test[test_idx]
    ):
        problems.append("the test loader should give every test image once, with its label")
    val_idx, val_labels = loaders.match("val", loaders.x_train)
    if (val_idx < 0).any():
        problems.append(
            f"{int((val_idx < 0).sum())} of {len(val_idx)} validation images are augmented or "
            "not normalised like the test images: validation images are only normalised"
        )
    elif not np.array_equal(val_labels, loaders.y_train[val_idx]):
        problems.append("the validation labels do not belong to their images")
    train_idx, _ = loaders.match("train", loaders.x_train)
    if len(train_idx) and (train_idx >= 0).mean() > 0.5:
        problems.append(
            f"with augment=True {int((train_idx >= 0).sum())} of {len(train_idx)} training images "
            "came out unchanged: the training loader should crop and flip them at random"
        )
    plain_idx, _ = loaders.match("train_plain", loaders.x_train)
    if (plain_idx < 0).any():
        problems.append(
            "with augment=False the training loader still changes the images: no augmentation then"
        )
    if not problems:
        return 1.0, ""
    return 1.0 - len(problems) / 4, problems[0]


def _batches_problem(batches, train_size: int) -> str:
    """What is wrong with the first training batch's [size, image dtype, label dtype] ('' if nothing)."""
    if (
        not isinstance(batches, list)
        or not batches
        or not isinstance(batches[0], list)
        or len(batches[0]) != 3
    ):
        return "the training loader gives no batches"
    size, image_dtype, label_dtype = batches[0]
    if size != min(BATCH_SIZE, train_size) or image_dtype != "float32" or label_dtype != "int64":
        return (
            f"training batches should hold batch_size={BATCH_SIZE} float32 images and int64 "
            f"labels, the first holds {size} {image_dtype} images and {label_dtype} labels"
        )
    return ""


def loaders_split_check(ctx: Context, check: Check) -> tuple[float, str]:
    loaders = Loaders(ctx, check)
    n = len(loaders.x_train)
    val_idx, _ = loaders.match("val", loaders.x_train)
    plain_idx, _ = loaders.match("train_plain", loaders.x_train)
    plain_val, _ = loaders.match("val_of_plain", loaders.x_train)  # the same call as train_plain
    if (val_idx < 0).any() or (plain_idx < 0).any() or (plain_val < 0).any():
        return 0.0, (
            "cannot map the validation images and the training images (augment=False) back to the "
            "training set: both should be the raw images, normalised"
        )
    problems = []
    want = int(round(VAL_FRACTION * n))
    if abs(len(val_idx) - want) > 1 or len(set(val_idx.tolist())) != len(val_idx):
        problems.append(
            f"val_fraction={VAL_FRACTION} of {n} images should give {want} distinct validation "
            f"images, got {len(val_idx)} ({len(set(val_idx.tolist()))} distinct)"
        )
    val = set(val_idx.tolist())
    again, _ = loaders.match("val_again", loaders.x_train)
    other, _ = loaders.match("val_other", loaders.x_train)
    if set(again.tolist()) != val:
        problems.append(
            "two calls with the same seed give different validation splits: split with "
            "np.random.default_rng(seed)"
        )
    elif set(other.tolist()) == val:
        problems.append("another seed gives the same validation split: the split should depend on seed")
    train, held_out = set(plain_idx.tolist()), set(plain_val.tolist())
    if train & held_out:
        problems.append(f"{len(train & held_out)} images are in both the training and the validation split")
    elif len(plain_idx) != len(train) or train | held_out != set(range(n)):
        problems.append(
            "the training split should hold every training image that is not in the "
            "validation split, once per epoch"
        )
    batches = _batches_problem(loaders.report.get("train_batches"), len(train))
    if batches:
        problems.append(batches)
    if not problems:
        return 1.0, ""
    return max(0.0, 1.0 - len(problems) / 3), problems[0]


CHECKS = [
    PropertyCheck("channel_stats", 2, channel_stats_check),
    PropertyCheck("build_transforms for evaluation", 2, transforms_eval_check, timeout=30),
    PropertyCheck("build_transforms augmentation", 2, transforms_augment_check, timeout=30),
    PropertyCheck("make_loaders statistics from the training split", 3, loaders_statistics_check, timeout=60),
    PropertyCheck("make_loaders augments only the training split", 2, loaders_augmentation_check, timeout=60),
    PropertyCheck("make_loaders seeded split", 2, loaders_split_check, timeout=60),
]
