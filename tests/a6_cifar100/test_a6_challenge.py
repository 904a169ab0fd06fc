"""a6_cifar100: the reference challenge solution against independent oracles
(NumPy reflect padding, torchvision's normalisation, a fresh module loaded
with weights_only=True) and a short CPU training run on synthetic data."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
import torchvision.transforms.functional as TF

from autograder.examples.a6_cifar100 import write_few_class_cifar100
from autograder.reference import SOLUTIONS, Reference


def read_split(root, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The raw pickle of one split, decoded by hand: uint8 (N, 32, 32, 3), int64 (N,)."""
    with open(Path(root) / "cifar-100-python" / split, "rb") as handle:
        entry = pickle.load(handle, encoding="latin1")
    images = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, np.asarray(entry["fine_labels"], dtype=np.int64)


@pytest.fixture(scope="module")
def C():
    return Reference(SOLUTIONS / "a6_cifar100", ["challenge"]).modules["challenge"]


@pytest.fixture(scope="module")
def few_class_root(tmp_path_factory):
    return write_few_class_cifar100(
        tmp_path_factory.mktemp("a6_synth"), classes=8, per_class=40, per_class_test=20, seed=0
    )


def _uint8_images(n, seed=0, size=32):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=g)


# --------------------------------------------------------------------------- model


def test_build_model_maps_images_to_100_logits(C):
    torch.manual_seed(0)
    model = C.build_model()
    assert isinstance(model, nn.Module)
    x = torch.rand(5, 3, 32, 32)
    for mode in ("train", "eval"):
        getattr(model, mode)()
        with torch.no_grad():
            out = model(x)
        assert out.shape == (5, 100) and out.dtype == torch.float32
        assert torch.isfinite(out).all()


def test_build_model_normalises_inside(C):
    """What reaches the network is torchvision's Normalize of the [0, 1] input."""
    model = C.build_model().eval()
    seen = {}
    model.net.register_forward_pre_hook(lambda module, args: seen.setdefault("x", args[0].clone()))
    x = torch.rand(4, 3, 32, 32)
    with torch.no_grad():
        model(x)
    expected = TF.normalize(x, list(C.CIFAR100_MEAN), list(C.CIFAR100_STD))
    torch.testing.assert_close(seen["x"], expected, rtol=1e-6, atol=1e-6)


def test_normalize_with_data_statistics_standardises_each_channel(C):
    images = _uint8_images(64, seed=1)
    images[:, 1] //= 2  # channels with different statistics
    mean, std = C.channel_stats(images)
    x = images.numpy().astype(np.float64) / 255.0
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(std, x.std(axis=(0, 2, 3)), rtol=1e-12)
    layer = C.Normalize()
    layer.set_statistics(mean, std)
    out = layer(images.float() / 255.0).double()
    torch.testing.assert_close(
        out.mean(dim=(0, 2, 3)), torch.zeros(3, dtype=torch.float64), atol=1e-5, rtol=0
    )
    torch.testing.assert_close(
        out.std(dim=(0, 2, 3), correction=0), torch.ones(3, dtype=torch.float64), atol=1e-5, rtol=0
    )


def test_eval_mode_averages_the_image_and_its_mirror(C):
    torch.manual_seed(0)
    model = C.build_model().eval()
    x = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        expected = 0.5 * (model.net(model.normalize(x)) + model.net(model.normalize(x.flip(3))))
        torch.testing.assert_close(model(x), expected)
        # and the prediction of a mirrored image is the same
        torch.testing.assert_close(model(x.flip(3)), model(x), rtol=1e-4, atol=1e-5)


def test_state_dict_round_trips_through_weights_only_load(C, tmp_path):
    torch.manual_seed(0)
    model = C.build_model()
    # a few training-mode passes move the batch-norm statistics off their defaults
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        loss = model(torch.rand(8, 3, 32, 32)).logsumexp(1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.normalize.set_statistics([0.3, 0.4, 0.5], [0.2, 0.25, 0.3])
    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)
    state = torch.load(path, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    fresh = C.build_model()
    fresh.load_state_dict(state, strict=True)
    x = torch.rand(6, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(fresh.eval()(x), model.eval()(x), rtol=0, atol=0)


# --------------------------------------------------------------------------- augmentation


def _manual_crops(image: np.ndarray, padding: int) -> dict:
    """Every crop (and its mirror) of one (C, H, W) image padded with NumPy's reflect mode."""
    c, h, w = image.shape
    padded = np.pad(image, ((0, 0), (padding, padding), (padding, padding)), mode="reflect")
    crops = {}
    for dy in range(2 * padding + 1):
        for dx in range(2 * padding + 1):
            crop = padded[:, dy : dy + h, dx : dx + w]
            crops[(dy, dx, False)] = crop
            crops[(dy, dx, True)] = crop[:, :, ::-1]
    return crops


@pytest.mark.parametrize("padding", [4, 2])
def test_random_crop_flip_matches_a_manual_reflect_crop(C, padding):
    images = _uint8_images(48, seed=2)
    generator = torch.Generator().manual_seed(0)
    out = C.random_crop_flip(images, generator, padding=padding)
    assert out.shape == images.shape and out.dtype == torch.uint8 and out.device == images.device
    used = set()
    for image, result in zip(images.numpy(), out.numpy()):
        matches = [key for key, crop in _manual_crops(image, padding).items() if np.array_equal(crop, result)]
        assert len(matches) == 1, "output is not a reflect-padded crop (or its mirror) of its input"
        used.add(matches[0])
    assert any(k[2] for k in used) and not all(k[2] for k in used)  # some flipped, some not
    assert len({k[:2] for k in used}) > 10  # offsets vary


def test_random_crop_flip_draws_offsets_and_flips_uniformly(C):
    """Over many draws every offset in [0, 8]^2 appears about equally often and half are mirrored."""
    n = 4000
    rows = torch.arange(32).view(32, 1).expand(32, 32)
    cols = torch.arange(32).view(1, 32).expand(32, 32)
    image = torch.stack([rows, cols, rows * 0]).to(torch.uint8)  # pixel = its own (row, col)
    out = C.random_crop_flip(
        image.expand(n, 3, 32, 32).contiguous(), torch.Generator().manual_seed(1), padding=4
    ).long()
    # Away from the border a crop at offset (dy, dx) shows source row dy - 4 + i and column
    # dx - 4 + j (or 31 - j when mirrored), so the middle pixels reveal the draw.
    dy = out[:, 0, 16, 16] - 12
    flipped = out[:, 1, 16, 17] < out[:, 1, 16, 16]
    dx = torch.where(flipped, out[:, 1, 16, 16] - 11, out[:, 1, 16, 16] - 12)
    assert dy.min() >= 0 and dy.max() <= 8 and dx.min() >= 0 and dx.max() <= 8
    counts = torch.bincount(dy * 9 + dx, minlength=81)
    assert counts.min() > 15 and counts.max() < 100  # about n / 81 = 49 each
    assert 0.45 < flipped.float().mean().item() < 0.55


def test_random_crop_flip_without_padding_or_flip_is_identity(C):
    images = _uint8_images(5, seed=3)
    out = C.random_crop_flip(images, torch.Generator().manual_seed(0), padding=0, flip=False)
    assert torch.equal(out, images)


def test_random_crop_flip_is_reproducible_with_a_seeded_generator(C):
    images = _uint8_images(16, seed=4)
    a = C.random_crop_flip(images, torch.Generator().manual_seed(7))
    b = C.random_crop_flip(images, torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


# --------------------------------------------------------------------------- data and evaluation


def test_load_cifar100_reads_the_synthetic_pickles(C, few_class_root):
    for train, split in ((True, "train"), (False, "test")):
        images, labels = C.load_cifar100(few_class_root, train=train)
        expected_images, expected_labels = read_split(few_class_root, split)
        assert images.dtype == np.uint8 and images.shape == expected_images.shape
        np.testing.assert_array_equal(images, expected_images)
        np.testing.assert_array_equal(labels, expected_labels)
    device_images = C.images_to_device(images, "cpu")
    assert device_images.shape == (len(images), 3, 32, 32) and device_images.dtype == torch.uint8
    np.testing.assert_array_equal(device_images.numpy(), images.transpose(0, 3, 1, 2))


def test_evaluate_counts_correct_top1(C):
    class Fixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.anchor = nn.Parameter(torch.zeros(1))

        def forward(self, x):  # class = mean pixel value bucket, independent of mode
            return nn.functional.one_hot((x.mean(dim=(1, 2, 3)) * 99.999).long(), 100).float()

    images = torch.randint(0, 256, (50, 3, 32, 32), dtype=torch.uint8)
    truth = (images.float().div(255).mean(dim=(1, 2, 3)) * 99.999).long()
    labels = truth.clone()
    labels[:10] = (labels[:10] + 1) % 100
    assert C.evaluate(Fixed(), images, labels, batch_size=7) == pytest.approx(0.8)


# --------------------------------------------------------------------------- training


def test_train_respects_a_tiny_budget(C, few_class_root):
    budget = 8.0
    started = time.perf_counter()
    model = C.train(few_class_root, "cpu", time_budget_s=budget, seed=0)
    assert time.perf_counter() - started < budget
    assert not model.training
    with torch.no_grad():
        assert model(torch.rand(2, 3, 32, 32)).shape == (2, 100)


@pytest.mark.slow
def test_train_on_cpu_learns_synthetic_classes_within_budget(C, few_class_root, tmp_path):
    budget = 40.0
    started = time.perf_counter()
    model = C.train(few_class_root, "cpu", time_budget_s=budget, seed=0)
    assert time.perf_counter() - started < budget

    # the normalisation was fitted to the training images
    train_images, _ = read_split(few_class_root, "train")
    x = train_images.astype(np.float64) / 255.0
    np.testing.assert_allclose(model.normalize.mean.flatten().numpy(), x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(model.normalize.std.flatten().numpy(), x.std(axis=(0, 1, 2)), rtol=1e-5)

    # test accuracy from a fresh model loaded like the grader does, on plain [0, 1] inputs
    torch.save(model.state_dict(), tmp_path / "model.pt")
    fresh = C.build_model()
    fresh.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    fresh.eval()
    images, labels = read_split(few_class_root, "test")
    with torch.no_grad():
        logits = fresh(torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0)
    accuracy = (logits.argmax(1).numpy() == labels).mean()
    assert accuracy > 0.5, f"accuracy {accuracy:.3f} on 8 synthetic classes (chance 0.125)"
