"""a6_cifar100 routines that run inside the worker, next to the student's code.

The grader sends images (uint8 arrays) and gets back logits (float32 arrays),
weights and short messages; it keeps every label, measures every clock and
computes every accuracy itself (``autograder/checks/trained_model.py``). This
module counts as student code: a submission can replace its functions at
import, and gains nothing by it. The worker never unpickles anything but
through ``torch.load(..., weights_only=True)``, which refuses every Python
object that is not a tensor, a container of tensors or a plain value.

- :func:`probe_model`: build ``challenge.build_model()`` and run it on a batch
  in training and in evaluation mode.
- :func:`checkpoint_logits`: load ``model.pt`` into a fresh ``build_model()``
  and return its logits for the grader's images.
- :func:`write_training_split`: write the grader's training images in
  torchvision's CIFAR-100 format (the test split a blank placeholder).
- :func:`train_weights`: run the student's ``train()`` on them and return the
  trained module's weights (the grader times the whole request).
- :func:`weights_logits`: in a fresh worker, load weights into a fresh
  ``build_model()`` and return its logits for the grader's images.
"""

from __future__ import annotations

import os
import pickle
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from autograder.sandbox.tasks.cifar_files import TorchvisionAccepts, md5
from autograder.sandbox.worker import student_module

if TYPE_CHECKING:
    import torch

MODULE = "challenge"
CHECKPOINT = "model.pt"
DATA_DIR = "a6_data"
_SAVE_HINT = "save it with torch.save(model.state_dict(), 'model.pt')"


def _device(name: str) -> torch.device:
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _describe(value) -> str:
    """A short description of what a forward pass returned."""
    import torch

    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def _fresh_model() -> torch.nn.Module:
    """``challenge.build_model()``, checked to be an nn.Module."""
    import torch

    model = student_module(MODULE).build_model()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"build_model() should return a torch.nn.Module, got {type(model).__name__}")
    return model


def _as_output(value) -> np.ndarray | str:
    """A float32 array of a tensor output, or a description of anything else."""
    import torch

    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        return _describe(value)
    return value.detach().float().cpu().numpy()


def probe_model(images: np.ndarray, seed: int = 0) -> dict:
    """Build the student's model and run it on float images (N, 3, 32, 32) in [0, 1].

    Returns {"train": out, "eval": out, "parameters": int}, where out is the
    float32 output array or a description of a non-tensor output.
    """
    import torch

    torch.manual_seed(seed)
    model = _fresh_model()
    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    result: dict[str, Any] = {"parameters": int(sum(p.numel() for p in model.parameters()))}
    with torch.no_grad():
        model.train()
        result["train"] = _as_output(model(x))
        model.eval()
        result["eval"] = _as_output(model(x))
    return result


# -- checkpoints ---------------------------------------------------------------------
def _load_state_dict(path: str) -> tuple[dict | None, str]:
    """(state_dict, "") or (None, what is wrong with the file)."""
    import torch

    if not os.path.isfile(path):
        return None, f"{CHECKPOINT} is missing from the submission; {_SAVE_HINT}"
    if os.path.getsize(path) == 0:
        return None, f"{CHECKPOINT} is empty; {_SAVE_HINT}"
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        what = f" ({found.group(1)})" if found else ""
        return None, (
            f"{CHECKPOINT} is not a plain state_dict: it holds pickled Python objects{what} that "
            "torch.load(weights_only=True) refuses, so it was not loaded and nothing in it ran; "
            "save only the weights, with torch.save(model.state_dict(), 'model.pt')"
        )
    except Exception as exc:  # noqa: BLE001 - a corrupt file may fail anywhere in the loader
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        return None, f"{CHECKPOINT} could not be read as a torch checkpoint ({first}); {_SAVE_HINT}"
    if not isinstance(state, dict):
        return None, f"{CHECKPOINT} holds {_describe(state)}, not a state_dict; {_SAVE_HINT}"
    bad = [
        key for key, value in state.items() if not isinstance(key, str) or not isinstance(value, torch.Tensor)
    ]
    if bad:
        keys = ", ".join(repr(k) for k in list(state)[:5])
        return None, (
            f"{CHECKPOINT} holds a dict whose entries are not all tensors (keys {keys}...): a "
            f"state_dict maps parameter names to tensors; {_SAVE_HINT}"
        )
    return state, ""


def _mismatch(
    model: torch.nn.Module,
    state: dict,
    subject: str = CHECKPOINT,
    advice: str = "save the state_dict of the model that build_model() builds",
) -> str:
    """Why ``state`` does not fit ``model`` ('' when it does)."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    resized = [
        f"{k} {tuple(state[k].shape)} in the file vs {tuple(expected[k].shape)} in the model"
        for k in expected
        if k in state and state[k].shape != expected[k].shape
    ]
    parts = []
    if missing:
        parts.append(f"{len(missing)} entries of build_model() are missing from the file (e.g. {missing[0]})")
    if unexpected:
        parts.append(f"{len(unexpected)} entries of the file are not in build_model() (e.g. {unexpected[0]})")
    if resized:
        parts.append(f"{len(resized)} have another shape (e.g. {resized[0]})")
    if not parts:
        return ""
    return f"{subject} does not match build_model(): " + "; ".join(parts) + f"; {advice}"


def _logits(model, images: np.ndarray, batch_size: int, device) -> np.ndarray | str:
    """float32 logits (N, C) of uint8 images (N, 32, 32, 3), or what went wrong."""
    import torch

    model.to(device).eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            chunk = torch.from_numpy(np.ascontiguousarray(images[start : start + batch_size]))
            x = chunk.to(device).permute(0, 3, 1, 2).float().div(255.0)
            value = model(x)
            if (
                not isinstance(value, torch.Tensor)
                or value.dim() != 2
                or value.shape[0] != len(chunk)
                or not value.is_floating_point()
            ):
                return (
                    f"the model should map a batch of {len(chunk)} images to logits of shape "
                    f"({len(chunk)}, 100); it returned {_describe(value)}"
                )
            out.append(value.float().cpu())
    return torch.cat(out).numpy()


def checkpoint_logits(images: np.ndarray, batch_size: int = 250, device: str = "auto") -> dict:
    """Load model.pt into a fresh build_model() and compute logits for uint8 images (N, 32, 32, 3).

    Returns {"problem": ""} plus "logits" (float32 (N, C)) and "device" (str)
    when all went well, else {"problem": one sentence}.
    """
    import torch

    state, problem = _load_state_dict(CHECKPOINT)
    if state is None:
        return {"problem": problem}
    torch.manual_seed(0)
    model = _fresh_model()
    problem = _mismatch(model, state)
    if problem:
        return {"problem": problem}
    model.load_state_dict(state, strict=True)
    target = _device(device)
    logits = _logits(model, images, batch_size, target)
    if isinstance(logits, str):
        return {"problem": logits}
    return {"problem": "", "logits": logits, "device": str(target)}


# -- training ------------------------------------------------------------------------
def _write_cifar100(root: str, images: np.ndarray, labels: np.ndarray, class_names: list[str]) -> dict:
    """root/cifar-100-python/{train,test,meta} in the format of the real files.

    The test split is a placeholder of 10 blank images labelled 0: the real
    test images and labels never reach the student's code. Returns the MD5
    sums of the three files.
    """
    folder = os.path.join(root, "cifar-100-python")
    os.makedirs(folder, exist_ok=True)

    def rows(x):
        return np.ascontiguousarray(np.asarray(x, dtype=np.uint8).transpose(0, 3, 1, 2).reshape(len(x), -1))

    blank = np.zeros((10, 32, 32, 3), dtype=np.uint8)
    splits = {"train": (images, labels), "test": (blank, np.zeros(10, dtype=np.int64))}
    for name, (x, y) in splits.items():
        entry = {
            "filenames": [f"{name}_{i:06d}.png" for i in range(len(y))],
            "batch_label": f"{name} batch",
            "fine_labels": [int(v) for v in y],
            "coarse_labels": [int(v) // 5 for v in y],
            "data": rows(x),
        }
        with open(os.path.join(folder, name), "wb") as handle:
            pickle.dump(entry, handle, protocol=2)
    meta = {"fine_label_names": list(class_names), "coarse_label_names": [f"coarse_{k}" for k in range(20)]}
    with open(os.path.join(folder, "meta"), "wb") as handle:
        pickle.dump(meta, handle, protocol=2)
    return {name: md5(os.path.join(folder, name)) for name in ("train", "test", "meta")}


def write_training_split(images: np.ndarray, labels: np.ndarray, class_names: list) -> dict:
    """Write uint8 images (N, 32, 32, 3) and int labels (N,) as ./a6_data/cifar-100-python.

    Returns {"sums": the files' MD5 sums}, which :func:`train_weights` needs for torchvision.
    """
    return {"sums": _write_cifar100(DATA_DIR, images, labels, list(class_names))}


def _weights(model: torch.nn.Module) -> dict[str, np.ndarray]:
    """{name: array} of a module's state_dict: floating tensors as float32, others as they are."""
    state = {name: value.detach().cpu() for name, value in model.state_dict().items()}
    return {
        name: (value.float() if value.is_floating_point() else value).numpy() for name, value in state.items()
    }


def train_weights(sums: dict, time_budget_s: float, device: str = "cpu", seed: int = 0) -> dict:
    """``challenge.train("a6_data", device, time_budget_s, seed)`` on the split written by
    :func:`write_training_split` (whose ``sums`` make torchvision accept it).

    Returns {"problem": "" or one sentence, "weights": {name: array} of the
    returned module when there is no problem}.
    """
    import torch

    train = student_module(MODULE).train
    with TorchvisionAccepts("CIFAR100", sums):
        model = train(DATA_DIR, str(_device(device)), time_budget_s=time_budget_s, seed=seed)
    if not isinstance(model, torch.nn.Module):
        return {"problem": f"train() should return the trained nn.Module, got {_describe(model)}"}
    return {"problem": "", "weights": _weights(model)}


def weights_logits(weights: dict, images: np.ndarray, batch_size: int = 250, device: str = "auto") -> dict:
    """Load ``weights`` ({name: array}) into a fresh build_model() and compute logits for
    uint8 images (N, 32, 32, 3). Returns {"problem": ""} plus "logits" (float32 (N, C)),
    or {"problem": one sentence} when the weights do not fit the model."""
    import torch

    state = {name: torch.from_numpy(np.array(value, copy=True)) for name, value in weights.items()}
    torch.manual_seed(0)
    model = _fresh_model()
    problem = _mismatch(
        model, state, "the module train() returns", "train a fresh build_model() and return it"
    )
    if problem:
        return {"problem": problem}
    model.load_state_dict(state, strict=True)
    logits = _logits(model, images, batch_size, _device(device))
    if isinstance(logits, str):
        return {"problem": logits}
    return {"problem": "", "logits": logits}
