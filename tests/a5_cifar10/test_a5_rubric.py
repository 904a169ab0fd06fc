"""The a5 rubric's own machinery: reading normalisation back from loader
outputs, the fit scenario, and probing CifarNet layer by layer."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms

from autograder.checks.base import Context
from autograder.data.synth import synth_arrays
from autograder.rubrics.a5_cifar10 import data_checks, model_checks, train_checks
from autograder.rubrics.a5_cifar10.normalisation import infer_normalisation, match_images, pixel_stats
from autograder.sandbox.tasks import torch_a5 as probes


@pytest.fixture(scope="module")
def images():
    x_train, _, x_test, _ = synth_arrays("cifar10", 40, 20, seed=3)
    return x_train, x_test


def _apply(transform, raw, seed=0):
    torch.manual_seed(seed)
    return torch.stack([transform(Image.fromarray(image)) for image in raw]).numpy()


def test_normalisation_is_read_back_from_plain_and_augmented_images(images):
    _, raw = images
    mean, std = (0.41, 0.52, 0.47), (0.2, 0.23, 0.26)
    plain = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    augmented = transforms.Compose(
        [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), plain]
    )
    for transform in (plain, augmented):
        found_mean, found_std = infer_normalisation(_apply(transform, raw)[::-1], raw)
        np.testing.assert_allclose(found_mean, mean, atol=1e-6)
        np.testing.assert_allclose(found_std, std, atol=1e-6)
    order = match_images(_apply(plain, raw)[::-1], np.array(mean), np.array(std), raw)
    assert order.tolist() == list(range(len(raw)))[::-1]
    assert (match_images(_apply(augmented, raw), np.array(mean), np.array(std), raw) < 0).mean() > 0.8
    assert isinstance(infer_normalisation(_apply(plain, raw) ** 2, raw), str)  # not affine


class _Run:
    """The part of a grading Context that loader_data uses."""

    def __init__(self, seed):
        self.seed = seed

    rng = Context.rng


@pytest.mark.parametrize("seed", range(4))
def test_random_crops_of_the_grading_test_split_keep_the_normalisation_readable(seed):
    """The loader checks read each call's normalisation from its test loader, which a
    buggy submission augments: no crop or flip may hide the pixel the inference anchors on."""
    raw = data_checks.loader_data(_Run(seed)).x_test
    mean, std = (0.41, 0.52, 0.47), (0.2, 0.23, 0.26)
    augmented = transforms.Compose(
        [
            transforms.RandomCrop(32, padding=4),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(mean, std),
        ]
    )
    for draw in range(25):
        found_mean, found_std = infer_normalisation(_apply(augmented, raw, seed=draw), raw)
        np.testing.assert_allclose(found_mean, mean, atol=1e-6)
        np.testing.assert_allclose(found_std, std, atol=1e-6)


def test_pixel_stats_are_population_statistics(images):
    raw, _ = images
    mean, std = pixel_stats(raw)
    x = torch.from_numpy(raw).double().div(255).reshape(-1, 3)
    np.testing.assert_allclose(mean, x.mean(0).numpy(), rtol=1e-12)
    np.testing.assert_allclose(std, x.std(0, unbiased=False).numpy(), rtol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_fit_scenario_peaks_after_the_first_epoch(a5, seed):
    """The best-validation check is only sharp if the last epoch is clearly worse."""
    run = probes.run_fit(a5.train.fit, seed)
    accuracies = run["history"]["val_accuracy"]
    best = int(np.argmax(accuracies))
    assert best < len(accuracies) - 1 and accuracies[best] - accuracies[-1] > 0.3
    model, _, val = probes.fit_scenario(seed)
    final = train_checks.probe_metrics(train_checks.load_weights(model, run["weights"]), val)
    assert final["accuracy"] == accuracies[best]


def test_cifarnet_probe_loads_weights_in_execution_order(a5):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 32, 32))
    info = probes.probe_cifarnet(a5.model.CifarNet, 10, True, 0.0, x)
    assert info["parameters"] == model_checks.CIFARNET_PARAMS + 2 * (32 + 64 + 64)
    assert info["layers"] == ["Conv2d", "BatchNorm2d"] * 3 + ["Linear", "Linear"]
    weights = model_checks.weights_for(info["shapes"], rng)
    logits = probes.probe_cifarnet(a5.model.CifarNet, 10, True, 0.0, x, weights)["logits"]
    # the same network written with torch.nn.functional (eval-mode batchnorm, fresh running stats)
    w = [torch.from_numpy(a) for a in weights]
    h = torch.from_numpy(x)
    for i in range(3):
        h = F.conv2d(h, w[4 * i], w[4 * i + 1], padding=2)
        h = F.batch_norm(
            h,
            torch.zeros(h.shape[1], dtype=h.dtype),
            torch.ones(h.shape[1], dtype=h.dtype),
            w[4 * i + 2],
            w[4 * i + 3],
            training=False,
        )
        h = F.max_pool2d(F.relu(h), 2)
    h = F.linear(F.relu(F.linear(h.flatten(1), w[12], w[13])), w[14], w[15])
    np.testing.assert_allclose(logits, h.numpy(), rtol=1e-10, atol=1e-12)
