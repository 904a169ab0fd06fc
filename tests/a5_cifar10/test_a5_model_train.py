"""a5 model.py and train.py against hand-written PyTorch loops."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

SPEC_PARAMS = 1_191_170  # SPEC.md: CifarNet without batchnorm, 10 classes


def _count(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_cifarnet_parameter_count(a5):
    assert _count(a5.model.CifarNet()) == SPEC_PARAMS
    # the same count layer by layer from torch's own modules
    layers = [
        nn.Conv2d(3, 32, 5),
        nn.Conv2d(32, 64, 5),
        nn.Conv2d(64, 64, 5),
        nn.Linear(1024, 1000),
        nn.Linear(1000, 10),
    ]
    assert sum(_count(layer) for layer in layers) == SPEC_PARAMS
    bn = a5.model.CifarNet(batchnorm=True)
    assert _count(bn) == SPEC_PARAMS + 2 * (32 + 64 + 64)
    assert _count(a5.model.CifarNet(num_classes=100)) == SPEC_PARAMS + 90 * 1001


def _leaf_order(model, x):
    order = []
    hooks = [
        m.register_forward_hook(lambda mod, inp, out: order.append(type(mod).__name__))
        for m in model.modules()
        if not list(m.children())
    ]
    model(x)
    for hook in hooks:
        hook.remove()
    return order


def test_cifarnet_layer_order_and_shapes(a5):
    x = torch.randn(2, 3, 32, 32)
    plain = a5.model.CifarNet(num_classes=7, dropout=0.3)
    assert plain(x).shape == (2, 7)
    stage = ["Conv2d", "ReLU", "MaxPool2d"]
    assert _leaf_order(plain, x) == stage * 3 + ["Flatten", "Linear", "ReLU", "Dropout", "Linear"]
    assert [m.p for m in plain.modules() if isinstance(m, nn.Dropout)] == [0.3]
    bn = a5.model.CifarNet(batchnorm=True)
    assert _leaf_order(bn, x)[:12] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"] * 3


def _probe_net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(16, 5),
    )


def _batches(seed, n=40, batch_size=8, classes=5):
    g = torch.Generator().manual_seed(seed)
    data = TensorDataset(torch.randn(n, 3, 8, 8, generator=g), torch.randint(0, classes, (n,), generator=g))
    return DataLoader(data, batch_size=batch_size, shuffle=False)


def test_evaluate_runs_in_eval_mode_without_gradients(a5):
    model = _probe_net(0)
    model.train()
    seen = []
    model.register_forward_hook(
        lambda mod, inp, out: seen.append((mod.training, torch.is_grad_enabled(), out.requires_grad))
    )
    running = model[1].running_mean.clone()
    loader = _batches(1, n=37)  # a short last batch
    first = a5.train.evaluate(model, loader, "cpu")
    second = a5.train.evaluate(model, loader, "cpu")
    assert first == second  # dropout off: deterministic
    assert seen and all(s == (False, False, False) for s in seen)
    assert all(p.grad is None for p in model.parameters())
    assert torch.equal(model[1].running_mean, running)
    # the oracle: the whole set at once, by hand
    x, y = loader.dataset.tensors
    with torch.no_grad():
        model.eval()
        logits = model(x)
    assert first["loss"] == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-6)
    assert first["accuracy"] == pytest.approx((logits.argmax(1) == y).double().mean().item())


def _hand_epoch(model, loader, optimizer, scheduler=None):
    model.train()
    losses, correct = [], 0
    for x, y in loader:
        optimizer.zero_grad()
        out = model(x)
        loss = F.cross_entropy(out, y)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item() * len(y))
        correct += (out.argmax(1) == y).sum().item()
    n = len(loader.dataset)
    return sum(losses) / n, correct / n


@pytest.mark.parametrize("with_scheduler", [False, True])
def test_train_one_epoch_matches_a_hand_written_loop(a5, with_scheduler):
    results = []
    for implementation in ("reference", "hand"):
        model = _probe_net(3)
        model.eval()  # train_one_epoch must switch to training
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, 0.5) if with_scheduler else None
        loader = _batches(4, n=36)
        torch.manual_seed(11)  # the same dropout masks for both
        if implementation == "reference":
            out = a5.train.train_one_epoch(model, loader, optimizer, "cpu", scheduler=scheduler)
            assert model.training and set(out) == {"loss", "accuracy"}
            loss, accuracy = out["loss"], out["accuracy"]
        else:
            loss, accuracy = _hand_epoch(model, loader, optimizer, scheduler)
        results.append((model.state_dict(), loss, accuracy, optimizer.param_groups[0]["lr"]))
    (ref_state, *ref), (hand_state, *hand) = results
    for key in ref_state:
        assert torch.equal(ref_state[key], hand_state[key]), key
    assert ref == pytest.approx(hand, rel=1e-12)


def test_train_one_epoch_without_zero_grad_would_differ(a5):
    """The comparison above is sharp: accumulating gradients changes the weights."""
    model, twin = _probe_net(5), _probe_net(5)
    loader = _batches(6)
    torch.manual_seed(0)
    a5.train.train_one_epoch(model, loader, torch.optim.SGD(model.parameters(), lr=0.1), "cpu")
    torch.manual_seed(0)
    twin.train()
    optimizer = torch.optim.SGD(twin.parameters(), lr=0.1)
    for x, y in loader:
        F.cross_entropy(twin(x), y).backward()
        optimizer.step()
    assert not torch.equal(model[-1].weight, twin[-1].weight)


def test_tiny_overfit_one_batch(a5):
    torch.manual_seed(0)
    model = a5.model.CifarNet()
    g = torch.Generator().manual_seed(1)
    loader = [(torch.randn(16, 3, 32, 32, generator=g), torch.arange(16) % 10)]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(30):  # noqa: B007 - the assertion below names the last step
        a5.train.train_one_epoch(model, loader, optimizer, "cpu")
        if a5.train.evaluate(model, loader, "cpu")["accuracy"] >= 0.95:
            break
    assert a5.train.evaluate(model, loader, "cpu")["accuracy"] >= 0.95, step


class _SwitchingLoader:
    """True labels in the first training epoch, shifted labels afterwards: the
    validation accuracy peaks after epoch 1 and then falls."""

    def __init__(self, model, x, y, classes, batch_size=16):
        self.model, self.epochs = model, 0
        self.right = DataLoader(TensorDataset(x, y), batch_size=batch_size)
        self.wrong = DataLoader(TensorDataset(x, (y + 1) % classes), batch_size=batch_size)
        self.dataset = self.right.dataset

    def __iter__(self):
        if self.model.training:
            self.epochs += 1
        return iter(self.right if self.epochs <= 1 else self.wrong)

    def __len__(self):
        return len(self.right)


def _clusters(seed, n, classes=4):
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(classes, 3, 8, 8, generator=torch.Generator().manual_seed(99)) * 2
    y = torch.arange(n) % classes
    return centres[y] + 0.5 * torch.randn(n, 3, 8, 8, generator=g), y


def test_fit_keeps_the_best_validation_weights_and_checkpoint(a5, tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(192, 32), nn.ReLU(), nn.Linear(32, 4))
    x, y = _clusters(1, 96)
    val = DataLoader(TensorDataset(*_clusters(2, 64)), batch_size=32)
    path = tmp_path / "best.pt"
    history = a5.train.fit(
        model,
        _SwitchingLoader(model, x, y, 4),
        val,
        epochs=4,
        lr=0.05,
        device="cpu",
        checkpoint_path=str(path),
    )
    assert set(history) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 4 and all(isinstance(a, float) for a in v) for v in history.values())
    accuracies = history["val_accuracy"]
    best = int(np.argmax(accuracies))
    assert best < 3 and accuracies[best] > accuracies[-1] + 0.3  # the scenario is sharp
    final = a5.train.evaluate(model, val, "cpu")
    assert final["accuracy"] == accuracies[best] and final["loss"] == pytest.approx(history["val_loss"][best])
    saved = torch.load(path, weights_only=True)
    assert all(torch.equal(saved[k], v) for k, v in model.state_dict().items())


def test_fit_uses_sgd_with_momentum_and_weight_decay(a5):
    """One epoch of fit equals train_one_epoch with the SGD that SPEC names."""
    x, y = _clusters(3, 48)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    states = []
    for use_fit in (True, False):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(192, 4))
        if use_fit:
            history = a5.train.fit(
                model, loader, loader, epochs=1, lr=0.03, device="cpu", momentum=0.8, weight_decay=1e-2
            )
            assert history["val_accuracy"][0] == a5.train.evaluate(model, loader, "cpu")["accuracy"]
        else:
            optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.8, weight_decay=1e-2)
            _hand_epoch(model, loader, optimizer)
        states.append(model.state_dict())
    for key in states[0]:
        assert torch.equal(states[0][key], states[1][key])


def test_empty_loader_gives_nan(a5):
    model = _probe_net(0)
    assert all(math.isnan(v) for v in a5.train.evaluate(model, [], "cpu").values())
