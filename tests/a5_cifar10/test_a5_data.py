"""a5 data.py: statistics from the training split only, transforms, loaders."""

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

from autograder.data.load import dataset_arrays, synth_checksums


def test_channel_stats_matches_numpy(a5):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(37, 32, 32, 3), dtype=np.uint8)
    images[..., 2] //= 3  # channels with different statistics
    before = images.copy()
    mean, std = a5.data.channel_stats(images)
    scaled = images.astype(np.float64) / 255.0
    np.testing.assert_allclose(mean, scaled.mean(axis=(0, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(std, scaled.std(axis=(0, 1, 2)), rtol=1e-12)  # population std
    assert len(mean) == len(std) == 3 and all(type(v) is float for v in mean + std)
    np.testing.assert_array_equal(images, before)


def test_channel_stats_agrees_with_torch_on_tensors(a5):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(10, 32, 32, 3), dtype=np.uint8)
    x = torch.from_numpy(images).double().div(255).permute(3, 0, 1, 2).reshape(3, -1)
    mean, std = a5.data.channel_stats(images)
    np.testing.assert_allclose(mean, x.mean(dim=1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(std, x.std(dim=1, unbiased=False).numpy(), rtol=1e-12)


def _pil(images):
    return [Image.fromarray(image) for image in images]


def test_eval_transform_is_to_tensor_then_normalize(a5):
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, size=(4, 32, 32, 3), dtype=np.uint8)
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)
    expected = (images.astype(np.float32) / 255 - np.float32(mean)) / np.float32(std)
    for transform in (
        a5.data.build_transforms(mean, std, train=False),
        a5.data.build_transforms(mean, std, train=False, augment=True),
        a5.data.build_transforms(mean, std, train=True, augment=False),
    ):
        for image, want in zip(_pil(images), expected):
            out = transform(image)
            assert out.dtype == torch.float32 and out.shape == (3, 32, 32)
            np.testing.assert_allclose(out.numpy(), want.transpose(2, 0, 1), rtol=1e-5, atol=1e-5)


def test_training_transform_crops_with_padding_and_flips(a5):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    mean, std = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)
    padded = np.pad(image.astype(np.float32) / 255, ((4, 4), (4, 4), (0, 0)))
    candidates = {}
    for dy in range(9):
        for dx in range(9):
            crop = (padded[dy : dy + 32, dx : dx + 32] - 0.5) / 0.25
            candidates[(dy, dx, False)] = crop
            candidates[(dy, dx, True)] = crop[:, ::-1]
    transform = a5.data.build_transforms(mean, std, train=True, augment=True)
    seen = set()
    for seed in range(40):
        torch.manual_seed(seed)
        out = transform(Image.fromarray(image)).numpy().transpose(1, 2, 0)
        match = [key for key, crop in candidates.items() if np.allclose(out, crop, atol=1e-5)]
        assert match, "not a 4-padded 32x32 crop (optionally flipped) of the image"
        seen.add(match[0])
    assert len(seen) > 20 and {flip for *_, flip in seen} == {False, True}
    names = [type(t).__name__ for t in transform.transforms]
    assert names == ["RandomCrop", "RandomHorizontalFlip", "ToTensor", "Normalize"]


def _loaders(a5, root, **kwargs):
    with synth_checksums("cifar10", root):
        return a5.data.make_loaders(str(root), **kwargs)


def _all(loader):
    images, labels = zip(*loader)
    return torch.cat(images).numpy(), torch.cat(labels).numpy()


def test_statistics_come_from_the_training_split_only(a5, cifar_root):
    train, val, test = _loaders(a5, cifar_root, batch_size=64, val_fraction=0.2, seed=3, augment=False)
    raw, _ = dataset_arrays("cifar10", cifar_root, train=True)
    raw_test, test_labels = dataset_arrays("cifar10", cifar_root, train=False)
    train_idx = np.asarray(train.dataset.indices)
    scaled = raw[train_idx].astype(np.float64) / 255
    mean, std = scaled.mean(axis=(0, 1, 2)), scaled.std(axis=(0, 1, 2))
    # behaviour: the test loader gives (x / 255 - mean_train) / std_train
    images, labels = _all(test)
    want = (raw_test.astype(np.float64) / 255 - mean) / std
    np.testing.assert_allclose(images, want.transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(labels, test_labels)
    # and the statistics differ measurably from the alternatives a slip would use
    for other in (raw_test, raw):
        other_mean = (other.astype(np.float64) / 255).mean(axis=(0, 1, 2))
        assert np.abs(other_mean - mean).max() > 1e-3


def test_split_is_a_seeded_partition(a5, cifar_root):
    train, val, _ = _loaders(a5, cifar_root, batch_size=50, val_fraction=0.2, seed=7)
    again, val_again, _ = _loaders(a5, cifar_root, batch_size=50, val_fraction=0.2, seed=7)
    other, _, _ = _loaders(a5, cifar_root, batch_size=50, val_fraction=0.2, seed=8)
    t, v = set(train.dataset.indices), set(val.dataset.indices)
    assert len(v) == 60 and len(t) == 240 and not t & v and t | v == set(range(300))
    assert val_again.dataset.indices == val.dataset.indices
    assert set(other.dataset.indices) != t


def test_loaders_shapes_dtypes_and_augmentation_only_in_training(a5, cifar_root):
    train, val, test = _loaders(a5, cifar_root, batch_size=32, val_fraction=0.1, seed=0)
    images, labels = next(iter(train))
    assert images.shape == (32, 3, 32, 32) and images.dtype == torch.float32
    assert labels.dtype == torch.int64
    for loader in (val, test):  # deterministic: two passes agree exactly
        first, second = _all(loader), _all(loader)
        np.testing.assert_array_equal(first[0], second[0])
    assert any(isinstance(t, transforms.RandomCrop) for t in train.dataset.dataset.transform.transforms)
    for loader in (val, test):
        inner = loader.dataset.dataset if hasattr(loader.dataset, "dataset") else loader.dataset
        assert not any(
            isinstance(t, (transforms.RandomCrop, transforms.RandomHorizontalFlip))
            for t in inner.transform.transforms
        )
    assert sum(len(y) for _, y in train) == 270 and sum(len(y) for _, y in val) == 30


def test_cifar100_and_unknown_dataset(a5, tmp_path):
    from autograder.data.synth import write_synth

    write_synth("cifar100", tmp_path, n=200, n_test=100)
    with synth_checksums("cifar100", tmp_path):
        train, _, test = a5.data.make_loaders(str(tmp_path), batch_size=20, dataset="cifar100")
    assert len(test.dataset) == 100 and next(iter(train))[0].shape == (20, 3, 32, 32)
    with pytest.raises(ValueError):
        a5.data.make_loaders(str(tmp_path), dataset="mnist")
