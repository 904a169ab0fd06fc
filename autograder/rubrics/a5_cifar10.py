"""Rubric for a5_cifar10: CIFAR data pipeline, CifarNet, and the training loop.

The student's torch code runs in the worker through the trusted routines of
``autograder/sandbox/tasks/torch_a5.py``; they send back plain arrays and
numbers. The grader runs the same routines with the reference functions in
its own process for the expected values (probe models are float64, so stored
public values agree on every machine).

The data checks work from behaviour, not from the loaders' internals: the
grader writes a synthetic CIFAR-10 (fresh per grading run) into the worker,
reads the normalisation back from the pixel lattice of the test images
(each pixel value v becomes (v / 255 - mean) / std), maps every image the
loaders yield back to its raw pixels, and so finds which images form the
validation split and whether anything random happened outside training.
"""

from __future__ import annotations

import contextlib
import tempfile
import weakref

import numpy as np

from autograder.checks import PropertyCheck
from autograder.rubrics.base import Rubric
from autograder.sandbox.client import Call
from autograder.sandbox.tasks import torch_a5 as probes

TASK = "autograder.sandbox.tasks.torch_a5:"
CIFARNET_PARAMS = 1_191_170          # SPEC.md: CifarNet without batchnorm, 10 classes
STATS_TOL = 5e-5
N_TRAIN, N_TEST, VAL_FRACTION, BATCH_SIZE = 200, 60, 0.2, 32


# -- helpers ------------------------------------------------------------------------------
@contextlib.contextmanager
def _one_thread():
    """Reference computations on one thread, like the worker's."""
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


class _Bad(Exception):
    """A value from the worker that does not have the promised form."""


def _task(ctx, check, name, *args, **kwargs):
    """Run one task; (value, None) or (None, (0.0, message))."""
    outcome = ctx.sandbox.run([Call(TASK + name, args, kwargs, kind="task")], timeout=check.timeout)[0]
    if not outcome.ok:
        return None, (0.0, outcome.error if outcome.status == "error" else f"{outcome.status}: {outcome.error}")
    if not isinstance(outcome.value, dict):
        return None, (0.0, "the worker sent back something malformed")
    return outcome.value, None


_CACHE: dict = {}


def _cached(ctx, check, key, name, *args, **kwargs):
    """Like _task, but shared by the checks of one grading run (one sandbox)."""
    slot = (id(ctx.sandbox), ctx.seed, key)
    if slot in _CACHE:
        owner, result = _CACHE[slot]
        if owner() is ctx.sandbox:
            return result
    result = _task(ctx, check, name, *args, **kwargs)
    _CACHE[slot] = (weakref.ref(ctx.sandbox), result)
    return result


def _array(report, key, ndim=None, kind="f"):
    value = report.get(key)
    if type(value) is not np.ndarray or value.dtype.kind not in kind or (ndim and value.ndim != ndim):
        raise _Bad(key)
    return value


def _floats(value, n, what):
    """A sequence of n finite numbers as a float64 array, or a message."""
    try:
        array = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return f"{what} should be {n} numbers, got {type(value).__name__}"
    if array.shape != (n,) or not np.all(np.isfinite(array)):
        return f"{what} should be {n} finite numbers, got {np.shape(value)}"
    return array


def pixel_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and population std of uint8 images (N, H, W, C) scaled to [0, 1]."""
    scaled = images.reshape(-1, images.shape[-1]).astype(np.float64) / 255.0
    return scaled.mean(axis=0), scaled.std(axis=0)


def infer_normalisation(outputs: np.ndarray, raw: np.ndarray):
    """(mean, std) per channel with outputs = (v / 255 - mean) / std, or a message.

    outputs: float (N, 3, 32, 32) from a loader over the raw uint8 images
    (M, 32, 32, 3) (in any order, possibly cropped with zero padding or
    flipped). Distinct output values of a channel sit on a lattice whose step
    is one pixel level, 1 / (255 std); its top is the brightest raw pixel.
    """
    mean, std = np.zeros(3), np.zeros(3)
    for c in range(3):
        values = np.unique(outputs[:, c].astype(np.float64))
        if len(values) < 3 or not np.all(np.isfinite(values)):
            return "the images should have many different (finite) values per channel"
        step = np.diff(values).min()
        levels = np.rint((values[-1] - values) / step)
        pixels = raw[..., c].max() - levels
        if pixels.min() < 0:
            return "the images are not ToTensor() and Normalize(mean, std) of the raw pixels"
        slope, intercept = np.polyfit(pixels / 255.0, values, 1)
        if slope <= 0 or np.abs(slope * pixels / 255.0 + intercept - values).max() > 1e-4 * (1 + np.abs(values).max()):
            return "the images are not ToTensor() and Normalize(mean, std) of the raw pixels"
        std[c] = 1.0 / slope
        mean[c] = -intercept * std[c]
    return mean, std


def match_images(outputs: np.ndarray, mean, std, raw: np.ndarray) -> np.ndarray:
    """For each output image, the index of the raw image it normalises exactly (-1 if none)."""
    pixels = (outputs.astype(np.float64).transpose(0, 2, 3, 1) * std + mean) * 255.0
    rounded = np.rint(pixels)
    exact = np.all(np.abs(pixels - rounded) < 0.05, axis=(1, 2, 3)) & \
        np.all((rounded >= 0) & (rounded <= 255), axis=(1, 2, 3))
    index = {image.tobytes(): i for i, image in enumerate(raw)}
    found = np.full(len(outputs), -1, dtype=np.int64)
    for i in np.flatnonzero(exact):
        found[i] = index.get(rounded[i].astype(np.uint8).tobytes(), -1)
    return found


def _fmt(values) -> str:
    return "(" + ", ".join(f"{v:.4f}" for v in values) + ")"


# -- channel_stats and build_transforms ------------------------------------------------
def channel_stats_inputs(rng):
    images = rng.integers(0, 256, size=(int(rng.integers(5, 9)), 32, 32, 3), dtype=np.uint8)
    images[..., 1] //= 2
    images[..., 2] = 255 - images[..., 2] // 3
    return images


def channel_stats_check(ctx, check):
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
    mean, std = (_floats(v, 3, f"the {name}") for v, name in zip(value, ("mean", "std")))
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
        f"the {wrong} per channel differ from the expected values: got mean {_fmt(mean)}, std {_fmt(std)}, "
        f"expected {_fmt(expected_mean)}, {_fmt(expected_std)} (over all images and pixels of each channel)")


def _transform_inputs(rng):
    images = rng.integers(0, 256, size=(3, 32, 32, 3), dtype=np.uint8)
    mean = [float(v) for v in rng.uniform(0.35, 0.65, 3)]
    std = [float(v) for v in rng.uniform(0.15, 0.35, 3)]
    return images, mean, std


def _normalised(images, mean, std):
    return ((images.astype(np.float64) / 255 - mean) / std).transpose(0, 3, 1, 2)


def _crops(image, mean, std):
    """Every 4-padded 32x32 crop of one image, flipped or not, normalised: (162, 3, 32, 32)."""
    padded = np.pad(image.astype(np.float64) / 255, ((4, 4), (4, 4), (0, 0)))
    out = []
    for dy in range(9):
        for dx in range(9):
            crop = ((padded[dy:dy + 32, dx:dx + 32] - mean) / std).transpose(2, 0, 1)
            out += [crop, crop[:, :, ::-1]]
    return np.stack(out)


def transforms_eval_check(ctx, check):
    images, mean, std = _transform_inputs(ctx.rng(check.name))
    report, problem = _task(ctx, check, "transform_report", mean, std, images, [0])
    if problem:
        return 0.0, f"build_transforms: {problem[1]}"
    want = _normalised(images, np.asarray(mean), np.asarray(std))
    calls = {"eval": "build_transforms(mean, std, train=False)",
             "eval_augment": "build_transforms(mean, std, train=False, augment=True)",
             "train_plain": "build_transforms(mean, std, train=True, augment=False)"}
    problems = []
    for key, call in calls.items():
        try:
            got = _array(report, key, ndim=4)
        except _Bad:
            return 0.0, f"{call} should turn a PIL image into a tensor"
        if got.shape != want.shape:
            problems.append(f"{call} gives shape {got.shape[1:]}, expected (3, 32, 32) (ToTensor puts channels first)")
        elif got.dtype != np.float32:
            problems.append(f"{call} gives {got.dtype}, expected float32 (ToTensor)")
        elif not np.allclose(got, want, atol=1e-5, rtol=1e-5):
            if np.allclose(got, images.transpose(0, 3, 1, 2) / 255, atol=1e-5):
                problems.append(f"{call} does not normalise: add Normalize(mean, std) after ToTensor")
            elif np.allclose(got, (images.transpose(0, 3, 1, 2) - np.asarray(mean)[:, None, None])
                             / np.asarray(std)[:, None, None], atol=1e-3):
                problems.append(f"{call} normalises 0..255 values: ToTensor must come before Normalize")
            elif any(np.allclose(got[0], crop, atol=1e-5) for crop in _crops(images[0], mean, std)):
                problems.append(f"{call} crops or flips: augmentation belongs only to training with augment=True")
            else:
                err = float(np.abs(got - want).max())
                problems.append(f"{call} does not give (x / 255 - mean) / std per channel "
                                f"(largest difference {err:.3g})")
    if not problems:
        return 1.0, ""
    return 1.0 - len(problems) / len(calls), problems[0] + (
        f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else "")


def transforms_augment_check(ctx, check):
    images, mean, std = _transform_inputs(ctx.rng(check.name))
    seeds = list(range(16))
    report, problem = _task(ctx, check, "transform_report", mean, std, images, seeds)
    if problem:
        return 0.0, f"build_transforms: {problem[1]}"
    try:
        got = _array(report, "augmented", ndim=4)
    except _Bad:
        return 0.0, "build_transforms(mean, std, train=True) should turn a PIL image into a tensor"
    if got.shape != (len(seeds), 3, 32, 32):
        return 0.0, f"the training transform gives shape {got.shape[1:]}, expected (3, 32, 32)"
    crops = _crops(images[0], np.asarray(mean), np.asarray(std))
    which = []
    for out in got:
        close = np.flatnonzero(np.abs(crops - out).reshape(len(crops), -1).max(axis=1) < 1e-5)
        if not len(close):
            return 0.0, ("the training transform gives an image that is not a 32x32 crop of the image padded "
                         "with 4 black pixels (optionally flipped), normalised: use RandomCrop(32, padding=4) "
                         "and RandomHorizontalFlip() before ToTensor and Normalize")
        which.append(int(close[0]))
    offsets = {w // 2 for w in which}
    flips = {w % 2 for w in which}
    if len(offsets) == 1 and len(flips) == 1:
        return 0.0, "the training transform does not augment: it gives the same image under every seed"
    if len(offsets) == 1:
        return 0.5, ("the training transform flips but never shifts: RandomCrop(32, padding=4) pads by 4 "
                     "pixels before cropping")
    if len(flips) == 1:
        return 0.5, "the training transform shifts but never flips: add RandomHorizontalFlip()"
    return 1.0, ""


# -- make_loaders -------------------------------------------------------------------------
def _loader_data(ctx):
    """The synthetic split of this grading run: x_train, y_train, x_test, y_test and seeds."""
    from autograder.data.synth import synth_arrays

    rng = ctx.rng("make_loaders")
    data_seed, seed, other = (int(v) for v in rng.integers(0, 10_000, 3))
    if other == seed:
        other += 1
    x_train, y_train, x_test, y_test = synth_arrays("cifar10", N_TRAIN, N_TEST, data_seed)
    # infer_normalisation anchors on the brightest pixel: put one in the centre of a test
    # image, where no random crop with padding 4 (nor a flip) can hide it
    x_test[0, 15:17, 15:17, :] = 255
    return (x_train, y_train, x_test, y_test), seed, other


class _Loaders:
    """What the student's loaders gave, mapped back to raw images."""

    def __init__(self, ctx, check):
        (self.x_train, self.y_train, self.x_test, self.y_test), seed, other = _loader_data(ctx)
        self.report, self.problem = _cached(ctx, check, "loaders", "loader_report", self.x_train, self.y_train,
                                            self.x_test, self.y_test, BATCH_SIZE, VAL_FRACTION, seed, other)
        if self.problem:
            self.problem = (0.0, f"make_loaders: {self.problem[1]}")
            return
        try:
            self.test = _array(self.report, "test", ndim=4)
            self.test_labels = _array(self.report, "test_labels", ndim=1, kind="iu")
        except _Bad:
            self.problem = (0.0, "the worker sent back malformed loader data")
            return
        # each call of make_loaders normalises with its own statistics, read from its test loader
        self.norms = {}
        for call, test_key in (("first", "test"), ("again", "test_of_again"), ("plain", "test_of_plain"),
                               ("other", "test_of_other")):
            try:
                found = infer_normalisation(_array(self.report, test_key, ndim=4), self.x_test)
            except _Bad:
                found = "the worker sent back malformed loader data"
            if isinstance(found, str):
                self.problem = (0.0, f"the test loader's images: {found}")
                return
            self.norms[call] = found
        self.mean, self.std = self.norms["first"]

    def images(self, key):
        return _array(self.report, key, ndim=4), _array(self.report, key + "_labels", ndim=1, kind="iu")

    def match(self, key, raw):
        images, labels = self.images(key)
        call = {"val_again": "again", "train_plain": "plain", "val_of_plain": "plain",
                "val_other": "other"}.get(key, "first")
        found = match_images(images, *self.norms[call], raw)
        return found, labels

    def split(self):
        """(train indices, val indices) of the raw training images, or a message."""
        val, _ = self.match("val", self.x_train)
        if len(val) and (val >= 0).all():
            return np.setdiff1d(np.arange(len(self.x_train)), val), val
        plain, _ = self.match("train_plain", self.x_train)
        if len(plain) and (plain >= 0).all():
            return np.unique(plain), np.setdiff1d(np.arange(len(self.x_train)), plain)
        return ("cannot tell which training images form the validation split: the validation loader "
                "should give held-out training images, normalised and not augmented")


def loaders_statistics_check(ctx, check):
    loaders = _Loaders(ctx, check)
    if loaders.problem:
        return loaders.problem
    split = loaders.split()
    if isinstance(split, str):
        return 0.0, split
    train_idx, val_idx = split
    want_mean, want_std = pixel_stats(loaders.x_train[train_idx])

    def close(mean, std):
        return np.abs(loaders.mean - mean).max() < STATS_TOL and np.abs(loaders.std - std).max() < STATS_TOL

    if close(want_mean, want_std):
        return 1.0, ""
    others = [("the test split", loaders.x_test),
              ("the whole training set, validation images included", loaders.x_train),
              ("the validation split", loaders.x_train[val_idx])]
    for name, images in others:
        if close(*pixel_stats(images)):
            return 0.0, (f"the loaders normalise with the statistics of {name}; use channel_stats of the "
                         "training split only (the training images left after holding out the validation split)")
    return 0.0, (f"the loaders normalise with mean {_fmt(loaders.mean)} and std {_fmt(loaders.std)}; the "
                 f"training split's channel_stats are {_fmt(want_mean)} and {_fmt(want_std)}")


def loaders_augmentation_check(ctx, check):
    loaders = _Loaders(ctx, check)
    if loaders.problem:
        return loaders.problem
    problems = []
    test_idx, test_labels = loaders.match("test", loaders.x_test)
    again, _ = loaders.images("test_again")
    if again.shape != loaders.test.shape or not np.array_equal(again, loaders.test):
        problems.append("two passes over the test loader give different test images: nothing random may "
                        "happen outside training (no augmentation in the test transform)")
    elif (test_idx < 0).any():
        problems.append(f"{int((test_idx < 0).sum())} of {len(test_idx)} test images are not the plain "
                        "normalised test images: random crops and flips belong to the training loader only")
    elif sorted(test_idx.tolist()) != list(range(len(loaders.x_test))) or \
            not np.array_equal(test_labels, loaders.y_test[test_idx]):
        problems.append("the test loader should give every test image once, with its label")
    val_idx, val_labels = loaders.match("val", loaders.x_train)
    if (val_idx < 0).any():
        problems.append(f"{int((val_idx < 0).sum())} of {len(val_idx)} validation images are augmented or "
                        "not normalised like the test images: validation images are only normalised")
    elif not np.array_equal(val_labels, loaders.y_train[val_idx]):
        problems.append("the validation labels do not belong to their images")
    train_idx, _ = loaders.match("train", loaders.x_train)
    if len(train_idx) and (train_idx >= 0).mean() > 0.5:
        problems.append(f"with augment=True {int((train_idx >= 0).sum())} of {len(train_idx)} training images "
                        "came out unchanged: the training loader should crop and flip them at random")
    plain_idx, _ = loaders.match("train_plain", loaders.x_train)
    if (plain_idx < 0).any():
        problems.append("with augment=False the training loader still changes the images: no augmentation then")
    if not problems:
        return 1.0, ""
    return 1.0 - len(problems) / 4, problems[0]


def loaders_split_check(ctx, check):
    loaders = _Loaders(ctx, check)
    if loaders.problem:
        return loaders.problem
    n = len(loaders.x_train)
    val_idx, _ = loaders.match("val", loaders.x_train)
    plain_idx, _ = loaders.match("train_plain", loaders.x_train)
    if (val_idx < 0).any() or (plain_idx < 0).any() or (loaders.match("val_of_plain", loaders.x_train)[0] < 0).any():
        return 0.0, ("cannot map the validation images and the training images (augment=False) back to the "
                     "training set: both should be the raw images, normalised")
    problems = []
    want = int(round(VAL_FRACTION * n))
    if abs(len(val_idx) - want) > 1 or len(set(val_idx.tolist())) != len(val_idx):
        problems.append(f"val_fraction={VAL_FRACTION} of {n} images should give {want} distinct validation "
                        f"images, got {len(val_idx)} ({len(set(val_idx.tolist()))} distinct)")
    val = set(val_idx.tolist())
    again, _ = loaders.match("val_again", loaders.x_train)
    other, _ = loaders.match("val_other", loaders.x_train)
    if set(again.tolist()) != val:
        problems.append("two calls with the same seed give different validation splits: split with "
                        "np.random.default_rng(seed)")
    elif set(other.tolist()) == val:
        problems.append("another seed gives the same validation split: the split should depend on seed")
    plain_val, _ = loaders.match("val_of_plain", loaders.x_train)    # the same call as train_plain
    train, held_out = set(plain_idx.tolist()), set(plain_val.tolist())
    if train & held_out:
        problems.append(f"{len(train & held_out)} images are in both the training and the validation split")
    elif len(plain_idx) != len(train) or train | held_out != set(range(n)):
        problems.append("the training split should hold every training image that is not in the "
                        "validation split, once per epoch")
    batches = loaders.report.get("train_batches")
    if not isinstance(batches, list) or not batches or not isinstance(batches[0], list) or len(batches[0]) != 3:
        problems.append("the training loader gives no batches")
    else:
        size, image_dtype, label_dtype = batches[0]
        if size != min(BATCH_SIZE, len(train)) or image_dtype != "float32" or label_dtype != "int64":
            problems.append(f"training batches should hold batch_size={BATCH_SIZE} float32 images and int64 "
                            f"labels, the first holds {size} {image_dtype} images and {label_dtype} labels")
    if not problems:
        return 1.0, ""
    return max(0.0, 1.0 - len(problems) / 3), problems[0]


# -- CifarNet -------------------------------------------------------------------------------
def _net_input(rng):
    return rng.standard_normal((2, 3, 32, 32))


def _reference_net(ref, num_classes, batchnorm, dropout, x, weights=None):
    with _one_thread():
        return probes.probe_cifarnet(ref.get("model:CifarNet"), num_classes, batchnorm, dropout, x, weights)


def cifarnet_count_check(ctx, check):
    x = _net_input(ctx.rng(check.name))
    ten, problem = _task(ctx, check, "cifarnet_report", 10, False, 0.0, x)
    if problem:
        return 0.0, f"CifarNet: {problem[1]}"
    hundred, problem = _task(ctx, check, "cifarnet_report", 100, False, 0.0, x)
    if problem:
        return 0.0, f"CifarNet(num_classes=100): {problem[1]}"
    want_100 = ctx.expected(check, "params_100", lambda ref: _reference_net(ref, 100, False, 0.0, x)["parameters"])
    got_10, got_100 = ten.get("parameters"), hundred.get("parameters")
    problems = []
    if got_10 != CIFARNET_PARAMS:
        problems.append(f"CifarNet() has {got_10:,} trainable parameters; SPEC's network has "
                        f"{CIFARNET_PARAMS:,} (check the kernel sizes, padding 2, and fc 1024 -> 1000)"
                        if isinstance(got_10, int) else "CifarNet's parameter count could not be read")
    if got_100 != want_100:
        problems.append(f"CifarNet(num_classes=100) has {got_100} parameters, expected {want_100:,}: "
                        "the last layer should have num_classes outputs")
    if ten.get("output_shape") != [2, 10]:
        problems.append(f"CifarNet maps (2, 3, 32, 32) to {ten.get('output_shape')}, expected [2, 10]")
    if not problems:
        return 1.0, ""
    return 1.0 - len(problems) / 3, problems[0]


def _weights_for(shapes, rng):
    """Random parameters for the given shapes: weights ~ N(0, 1 / fan_in), affine gains near 1."""
    weights = []
    for layer in shapes:
        batchnorm = len(layer) == 2 and all(len(shape) == 1 for shape in layer)
        for position, shape in enumerate(layer):
            if len(shape) > 1:
                weights.append(rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:])))
            elif batchnorm and position == 0:
                weights.append(rng.uniform(0.5, 1.5, shape))
            else:
                weights.append(rng.standard_normal(shape) * 0.3)
    return weights


def cifarnet_layers_check(ctx, check):
    rng = ctx.rng(check.name)
    x = _net_input(rng)
    score, messages = 0.0, []
    for batchnorm in (False, True):
        label = "CifarNet(batchnorm=True)" if batchnorm else "CifarNet()"
        info = ctx.expected(check, f"layers_{batchnorm}",
                            lambda ref: {k: v for k, v in _reference_net(ref, 10, batchnorm, 0.0, x).items()
                                         if k in ("layers", "shapes")})
        weights = _weights_for(info["shapes"], rng)
        want = ctx.expected(check, f"logits_{batchnorm}",
                            lambda ref: _reference_net(ref, 10, batchnorm, 0.0, x, weights)["logits"])
        report, problem = _task(ctx, check, "cifarnet_report", 10, batchnorm, 0.0, x, weights)
        if problem:
            messages.append(f"{label}: {problem[1]}")
            continue
        logits = report.get("logits")
        if report.get("layers") != info["layers"]:
            messages.append(f"{label} runs the layers with parameters in the order {report.get('layers')}; "
                            f"SPEC's order is {info['layers']}"
                            + (" (a BatchNorm2d after each convolution)" if batchnorm else ""))
        elif type(logits) is not np.ndarray or logits.shape != want.shape:
            messages.append(f"{label} gives logits of shape {getattr(logits, 'shape', None)}, expected {want.shape}")
        elif not np.allclose(logits, want, rtol=1e-7, atol=1e-9):
            messages.append(f"with the same weights, {label} computes other logits than SPEC's network: check the "
                            "order conv" + (" -> batchnorm" if batchnorm else "") +
                            " -> ReLU -> 2x2 max-pool in each stage, the flatten, and ReLU between the fc layers")
        else:
            score += 0.5
    return score, messages[0] if messages else ""


def cifarnet_dropout_check(ctx, check):
    x = _net_input(ctx.rng(check.name))
    with_dropout, problem = _task(ctx, check, "cifarnet_report", 10, False, 0.5, x)
    if problem:
        return 0.0, f"CifarNet(dropout=0.5): {problem[1]}"
    without, problem = _task(ctx, check, "cifarnet_report", 10, False, 0.0, x)
    if problem:
        return 0.0, f"CifarNet(dropout=0.0): {problem[1]}"
    if with_dropout.get("train_varies") is not True:
        return 0.0, ("CifarNet(dropout=0.5) gives the same output twice in training mode: "
                     "put nn.Dropout(dropout) between the ReLU after fc4 and the last layer")
    if without.get("train_varies") is not False:
        return 0.0, "CifarNet(dropout=0.0) is random in training mode: use the dropout argument, not a fixed rate"
    return 1.0, ""


# -- train.py -------------------------------------------------------------------------------
def _seed(ctx, name):
    return int(ctx.rng(name).integers(0, 10_000))


def evaluate_mode_check(ctx, check):
    report, problem = _task(ctx, check, "evaluate_report", _seed(ctx, "evaluate"))
    if problem:
        return 0.0, f"evaluate: {problem[1]}"
    modes, grads = report.get("modes"), report.get("grad_enabled")
    if not isinstance(modes, list) or not modes:
        return 0.0, "evaluate never ran the model on the loader's batches"
    problems = []
    if any(modes):
        problems.append("evaluate ran the model in training mode: call model.eval() first (dropout must be off "
                        "and batchnorm must use its running statistics)")
    if not isinstance(grads, list) or any(grads) or report.get("grads_created"):
        problems.append("evaluate computed with gradients enabled: wrap it in torch.no_grad()")
    if report.get("running_stats_changed"):
        problems.append("evaluate changed batchnorm's running statistics (the model was in training mode)")
    if report.get("first") != report.get("second"):
        problems.append("two calls of evaluate on the same model and data gave different results")
    if not problems:
        return 1.0, ""
    return max(0.0, 1.0 - len(problems) / 2), problems[0]


def _trusted_batch_mean_loss(seed):
    """The slip: the mean of per-batch mean losses (what a short last batch changes)."""
    import torch
    import torch.nn.functional as F

    model = probes.probe_net(seed, dropout=0.5).eval()
    losses = []
    with torch.no_grad(), _one_thread():
        for x, y in probes.probe_loader(seed + 1, *probes.EVAL_PROBE):
            losses.append(F.cross_entropy(model(x), y).item())
    return float(np.mean(losses))


def evaluate_values_check(ctx, check):
    seed = _seed(ctx, "evaluate")
    want = ctx.expected(check, "metrics", lambda ref: _reference(probes.run_evaluate, ref.get("train:evaluate"),
                                                                 seed)["first"])
    report, problem = _task(ctx, check, "evaluate_report", seed)
    if problem:
        return 0.0, f"evaluate: {problem[1]}"
    got = report.get("first")
    if not isinstance(got, dict):
        return 0.0, "evaluate should return {'loss': ..., 'accuracy': ...}"
    ok_loss = np.isclose(got["loss"], want["loss"], rtol=1e-9, atol=1e-12)
    ok_accuracy = np.isclose(got["accuracy"], want["accuracy"], rtol=0, atol=1e-12)
    if ok_loss and ok_accuracy:
        return 1.0, ""
    if not ok_loss and np.isclose(got["loss"], _trusted_batch_mean_loss(seed), rtol=1e-9):
        return 0.5, ("evaluate's loss is the mean of the batch means; weight each batch by its size (the last "
                     "batch is shorter) to get the mean over samples")
    parts = [f"{k} {got[k]:.6g} (expected {want[k]:.6g})" for k, ok in (("loss", ok_loss), ("accuracy", ok_accuracy))
             if not ok]
    return 0.5 if ok_loss or ok_accuracy else 0.0, (
        "evaluate returned " + " and ".join(parts) + " on a probe model: the mean cross-entropy over all samples "
        "and the fraction classified correctly, in eval mode")


def _reference(run, function, *args, **kwargs):
    with _one_thread():
        return run(function, *args, **kwargs)


def _hand_epoch(seed, zero_grad=True, train_mode=True):
    """A trusted variant of one epoch (for naming slips): (weights as state arrays, batch mean losses)."""
    import torch
    import torch.nn.functional as F

    with _one_thread():
        model = probes.probe_net(seed)
        model.eval()
        if train_mode:
            model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        torch.manual_seed(seed + 2)
        losses = []
        for x, y in probes.probe_loader(seed + 1, *probes.EPOCH_PROBE):
            if zero_grad:
                optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return probes.state_arrays(model), losses


def _same_weights(got, want, rtol=1e-9, atol=1e-12) -> bool:
    if not isinstance(got, dict) or set(got) != set(want):
        return False
    return all(type(got[k]) is np.ndarray and got[k].shape == want[k].shape
               and np.allclose(got[k], want[k], rtol=rtol, atol=atol) for k in want)


def train_epoch_check(ctx, check):
    seed = _seed(ctx, check.name)
    want = ctx.expected(check, "epoch", lambda ref: _reference(probes.run_train_epoch,
                                                               ref.get("train:train_one_epoch"), seed))
    report, problem = _task(ctx, check, "train_epoch_report", seed)
    if problem:
        return 0.0, f"train_one_epoch: {problem[1]}"
    weights = report.get("weights")
    if not _same_weights(weights, want["weights"]):
        if _same_weights(weights, _hand_epoch(seed, zero_grad=False)[0]):
            return 0.0, ("after one epoch the weights are those of a loop without optimizer.zero_grad(): the "
                         "gradients accumulate over the batches; zero them before every backward pass")
        if _same_weights(weights, _hand_epoch(seed, train_mode=False)[0]):
            return 0.0, ("the model trained in eval mode: call model.train() at the start of train_one_epoch "
                         "(batchnorm and dropout behave differently in training)")
        return 0.0, ("after one epoch the weights differ from a correct loop's from the same seed: per batch "
                     "zero_grad, forward, cross-entropy, backward, optimizer.step(), in training mode")
    if report.get("repeatable") is not True:
        return 0.5, "two runs from the same seed ended with different weights"
    metrics = report.get("metrics")
    if not isinstance(metrics, dict) or not np.isclose(metrics["loss"], want["metrics"]["loss"], rtol=1e-9) \
            or not np.isclose(metrics["accuracy"], want["metrics"]["accuracy"], atol=1e-12):
        if isinstance(metrics, dict) and np.isclose(metrics["loss"], np.mean(_hand_epoch(seed)[1]), rtol=1e-9):
            return 0.5, ("the weights are right, but train_one_epoch returned the mean of the batch means as the "
                         "loss, so the short last batch counts as much as a full one: sum batch loss times batch "
                         "size, then divide by the number of samples")
        return 0.5, (f"the weights are right, but train_one_epoch returned {metrics} where {want['metrics']} "
                     "was expected: the mean loss over samples (batch loss times batch size, summed, over N) "
                     "and the fraction of correct predictions, on the batches as trained")
    return 1.0, ""


def train_scheduler_check(ctx, check):
    seed, gamma = _seed(ctx, check.name), 0.5
    want = ctx.expected(check, "epoch", lambda ref: _reference(probes.run_train_epoch,
                                                               ref.get("train:train_one_epoch"), seed, gamma=gamma))
    report, problem = _task(ctx, check, "train_epoch_report", seed, gamma, 1)
    if problem:
        return 0.0, f"train_one_epoch(..., scheduler=...): {problem[1]}"
    lr = report.get("lr")
    if isinstance(lr, float) and np.isclose(lr, 0.1 * gamma) and not np.isclose(want["lr"], lr):
        return 0.0, "the scheduler was stepped once per epoch; step it after every optimizer step (every batch)"
    if isinstance(lr, float) and np.isclose(lr, 0.1):
        return 0.0, "train_one_epoch never steps the scheduler: call scheduler.step() after every optimizer.step()"
    if not isinstance(lr, float) or not np.isclose(lr, want["lr"]) or \
            not _same_weights(report.get("weights"), want["weights"]):
        return 0.0, ("with a StepLR scheduler the learning rate and weights after one epoch differ from a correct "
                     "loop's: scheduler.step() follows every optimizer.step()")
    return 1.0, ""


def overfit_check(ctx, check):
    report, problem = _task(ctx, check, "overfit_report", _seed(ctx, check.name))
    if problem:
        return 0.0, f"CifarNet with train_one_epoch: {problem[1]}"
    labels, predictions = report.get("labels"), report.get("predictions")
    if type(predictions) is not np.ndarray or type(labels) is not np.ndarray or predictions.ndim != 2 \
            or predictions.shape[1] != len(labels):
        return 0.0, "the overfitting run sent back malformed predictions"
    accuracy = (predictions == labels).mean(axis=1)
    best = float(accuracy.max())
    if best >= 0.95:
        return 1.0, f"memorised one batch of {len(labels)} images in {int(np.argmax(accuracy >= 0.95)) + 1} steps"
    return max(0.0, (best - 0.1) / 0.85), (
        f"CifarNet trained with your train_one_epoch (Adam, lr 1e-3) on one batch of {len(labels)} random images "
        f"reached only {best:.0%} training accuracy in {len(accuracy)} steps; a working model and loop memorise it "
        "(>= 95%) within a few dozen")


def fit_best_check(ctx, check):
    report, problem = _cached(ctx, check, "fit", "fit_report", _seed(ctx, "fit"))
    if problem:
        return 0.0, f"fit: {problem[1]}"
    history, final, saved = report.get("history"), report.get("final"), report.get("checkpoint")
    if not isinstance(history, dict) or not isinstance(final, dict):
        return 0.0, "fit sent back a malformed history"
    accuracies = np.asarray(history.get("val_accuracy", []), dtype=np.float64)
    if not len(accuracies):
        return 0.0, "fit's history has no validation accuracies"
    best = int(np.argmax(accuracies))
    problems = []
    if not np.isclose(final["accuracy"], accuracies.max(), rtol=0, atol=1e-12):
        last = np.isclose(final["accuracy"], accuracies[-1], rtol=0, atol=1e-12)
        problems.append(f"after fit the model has validation accuracy {final['accuracy']:.3f}, but epoch {best + 1} "
                        f"reached {accuracies.max():.3f}" + (": fit kept the last epoch's weights" if last else "")
                        + "; keep a copy of the weights whenever the validation accuracy improves and load the best "
                        "one back at the end")
    if isinstance(saved, str):
        problems.append(saved)
    elif not isinstance(saved, dict) or saved.get("matches") is not True:
        problems.append("the checkpoint file does not hold the weights fit returned with (the best-validation "
                        "weights): torch.save(model.state_dict(), checkpoint_path) when the validation improves")
    if not problems:
        return 1.0, ""
    return 1.0 - len(problems) / 2, problems[0]


def fit_history_check(ctx, check):
    seed = _seed(ctx, "fit")

    def compute(ref):
        with tempfile.TemporaryDirectory() as folder:
            run = _reference(probes.run_fit, ref.get("train:fit"), seed, checkpoint_path=f"{folder}/best.pt")
        return run["history"]

    want = ctx.expected(check, "history", compute)
    report, problem = _cached(ctx, check, "fit", "fit_report", seed)
    if problem:
        return 0.0, f"fit: {problem[1]}"
    history = report.get("history")
    if not isinstance(history, dict):
        return 0.0, "fit sent back a malformed history"
    wrong = [k for k in want if not np.allclose(history.get(k, []), want[k], rtol=1e-7, atol=1e-10)]
    if not wrong:
        return 1.0, ""
    if "train_loss" in wrong:
        return 0.0, ("fit's training losses differ from SGD(lr, momentum=0.9, weight_decay=5e-4) with "
                     "train_one_epoch once per epoch: check the optimizer and its arguments")
    return 0.5, (f"fit trains like the reference but records other {', '.join(wrong)}: after each epoch "
                 "append train_one_epoch's results and evaluate(model, val_loader)'s")


checks = [
    PropertyCheck("channel_stats", 2, channel_stats_check),
    PropertyCheck("build_transforms for evaluation", 2, transforms_eval_check, timeout=30),
    PropertyCheck("build_transforms augmentation", 2, transforms_augment_check, timeout=30),
    PropertyCheck("make_loaders statistics from the training split", 3, loaders_statistics_check, timeout=60),
    PropertyCheck("make_loaders augments only the training split", 2, loaders_augmentation_check, timeout=60),
    PropertyCheck("make_loaders seeded split", 2, loaders_split_check, timeout=60),
    PropertyCheck("CifarNet parameter count", 2, cifarnet_count_check, timeout=30),
    PropertyCheck("CifarNet layers", 3, cifarnet_layers_check, timeout=30),
    PropertyCheck("CifarNet dropout", 1, cifarnet_dropout_check, timeout=30),
    PropertyCheck("evaluate in eval mode without gradients", 3, evaluate_mode_check, timeout=30),
    PropertyCheck("evaluate values", 2, evaluate_values_check, timeout=30),
    PropertyCheck("train_one_epoch matches a correct loop", 4, train_epoch_check, timeout=30),
    PropertyCheck("train_one_epoch steps the scheduler every batch", 1, train_scheduler_check, timeout=30),
    PropertyCheck("tiny overfit", 2, overfit_check, timeout=90),
    PropertyCheck("fit keeps the best-validation weights", 3, fit_best_check, timeout=60),
    PropertyCheck("fit history and SGD settings", 2, fit_history_check, timeout=60),
]

RUBRIC = Rubric(
    id="a5_cifar10",
    title="A CNN for CIFAR-10 in PyTorch",
    modules=["data", "model", "train"],
    checks=checks,
    timeout=30.0,
    notebook="a5_cifar10.ipynb",
)
