"""Time to accuracy of the a6_cifar100 reference (the GPU challenge).

    python benchmarks/cifar100_gpu.py --data-root source_data            # real CIFAR-100 on the GPU
    python benchmarks/cifar100_gpu.py                                    # no real data: synthetic run
    python benchmarks/cifar100_gpu.py --device cpu                       # CPU smoke test

For every time budget (default 20 s and 60 s on a GPU) it calls the
reference ``train(data_root, device, time_budget_s)`` and, after each epoch,
measures the test accuracy (with the model's flip TTA; the evaluation is
not counted as training time). It prints, per epoch, the training seconds
and the test accuracy; then the steady-state images per second, the seconds
per epoch, the time to reach each target accuracy, and whether train()
kept its budget. The targets on one H100-class GPU: 0.70 within 20 s and
0.75 within 60 s of training on the real data.

Without the real dataset (``--data-root`` missing or holding the synthetic
stand-in) it writes a synthetic CIFAR-100 in torchvision's format to a
temporary folder: of the real size (50,000 / 10,000 images) on a GPU, where
the throughput numbers are meaningful and the accuracies are not; small on
the CPU, as a smoke test that the whole path runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "solutions" / "a6_cifar100"))
import challenge  # noqa: E402  (the reference module)

from autograder.data.load import is_synth  # noqa: E402
from autograder.data.synth import write_synth  # noqa: E402

TARGETS = (0.70, 0.75)


def has_real_cifar100(root) -> bool:
    folder = Path(root) / "cifar-100-python"
    return all((folder / name).is_file() for name in ("train", "test", "meta")) and not is_synth("cifar100", root)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (torch {torch.__version__}, CUDA {torch.version.cuda})"
    return f"CPU, {torch.get_num_threads()} threads (torch {torch.__version__})"


def run_budget(data_root, device, budget, seed, test_images, test_labels, n_train):
    """Train once under ``budget``; returns a dict with the per-epoch record."""
    epochs = []
    evaluation_seconds = 0.0

    def on_epoch(epoch, model, train_seconds, images_seen):
        nonlocal evaluation_seconds
        started = time.perf_counter()
        accuracy = challenge.evaluate(model, test_images, test_labels)
        evaluation_seconds += time.perf_counter() - started
        epochs.append({"epoch": epoch, "train_seconds": train_seconds, "images_seen": images_seen,
                       "test_accuracy": accuracy})
        print(f"  epoch {epoch:3d}  {train_seconds:7.2f} s  test accuracy {accuracy:.4f}", flush=True)

    started = time.perf_counter()
    challenge.train(data_root, device, time_budget_s=budget, seed=seed, on_epoch=on_epoch)
    wall = time.perf_counter() - started - evaluation_seconds

    # steady state: the epochs after the first (which carries data loading and cuDNN autotuning)
    if len(epochs) >= 2:
        seconds = epochs[-1]["train_seconds"] - epochs[0]["train_seconds"]
        images = epochs[-1]["images_seen"] - epochs[0]["images_seen"]
    elif epochs:
        seconds, images = epochs[0]["train_seconds"], epochs[0]["images_seen"]
    else:
        seconds, images = float("nan"), 0
    images_per_second = images / seconds if seconds > 0 else float("nan")
    reached = {}
    for target in TARGETS:
        hit = next((e for e in epochs if e["test_accuracy"] >= target), None)
        reached[f"{target:.2f}"] = None if hit is None else hit["train_seconds"]
    return {
        "budget_s": budget,
        "train_wall_s": wall,
        "within_budget": wall <= budget,
        "epochs": epochs,
        "seconds_per_epoch": n_train / images_per_second,
        "images_per_second": images_per_second,
        "final_test_accuracy": epochs[-1]["test_accuracy"] if epochs else None,
        "seconds_to_accuracy": reached,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=None, help="folder holding cifar-100-python/ (real data)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--budgets", default=None,
                        help="comma-separated seconds (default 20,60 on a GPU, 15 on the CPU)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--synth-size", type=int, default=None,
                        help="training images of the synthetic stand-in (default 50000 on a GPU, 1000 on the CPU)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args(argv)

    device = torch.device(args.device)
    gpu = device.type == "cuda"
    budgets = [float(b) for b in (args.budgets or ("20,60" if gpu else "15")).split(",")]

    with tempfile.TemporaryDirectory() as scratch:
        real = args.data_root is not None and has_real_cifar100(args.data_root)
        if real:
            data_root = args.data_root
        else:
            n = args.synth_size or (50_000 if gpu else 1_000)
            data_root = scratch
            started = time.perf_counter()
            write_synth("cifar100", data_root, n=n, n_test=n // 5, seed=args.seed)
            print(f"no real CIFAR-100{' in ' + args.data_root if args.data_root else ''}: wrote a synthetic "
                  f"stand-in of {n} / {n // 5} images in {time.perf_counter() - started:.1f} s; accuracies below "
                  "are NOT comparable with the targets", flush=True)

        images, labels = challenge.load_cifar100(data_root, train=False)
        test_images = challenge.images_to_device(images, device)
        test_labels = torch.as_tensor(labels, device=device)
        n_train = len(challenge.load_cifar100(data_root, train=True)[1])
        print(f"device: {device_name(device)}")
        print(f"data: {'real CIFAR-100' if real else 'synthetic'}, {n_train} train / {len(labels)} test images")

        results = []
        for budget in budgets:
            print(f"budget {budget:g} s:", flush=True)
            result = run_budget(data_root, device, budget, args.seed, test_images, test_labels, n_train)
            results.append(result)
            reached = ", ".join(f"{t}: {'-' if s is None else f'{s:.1f} s'}"
                                for t, s in result["seconds_to_accuracy"].items())
            print(f"  train() took {result['train_wall_s']:.1f} s of {budget:g} s "
                  f"({'within' if result['within_budget'] else 'OVER'} budget); "
                  f"{result['seconds_per_epoch']:.2f} s/epoch, {result['images_per_second']:,.0f} images/s; "
                  f"final test accuracy {result['final_test_accuracy'] or 0:.4f}; time to accuracy {reached}", flush=True)

    if args.json:
        Path(args.json).write_text(json.dumps({"device": device_name(device), "real_data": real,
                                               "results": results}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
