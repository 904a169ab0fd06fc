"""Realistic a5 slips, each a small edit of the reference (see examples/__init__.py)."""

from autograder.examples import Bug, Edit

_STATS = "make_loaders statistics from the training split"
_AUGMENT = "make_loaders augments only the training split"
_SPLIT = "make_loaders seeded split"
_EPOCH = "train_one_epoch matches a correct loop"
_SCHEDULER = "train_one_epoch steps the scheduler every batch"
_FIT_BEST = "fit keeps the best-validation weights"
_FIT_HISTORY = "fit history and SGD settings"
_NET = ("CifarNet parameter count", "CifarNet layers", "CifarNet dropout")

BUGS = [
    Bug("test_set_statistics", "make_loaders normalises with the statistics of the test set",
        (Edit("data.py", "mean, std = channel_stats(plain.data[train_idx])",
              "mean, std = channel_stats(cls(root, train=False).data)"),),
        caught_by=(_STATS,),
        mentions=("test split",)),
    Bug("statistics_include_validation", "the statistics come from the whole training set, validation included",
        (Edit("data.py", "mean, std = channel_stats(plain.data[train_idx])", "mean, std = channel_stats(plain.data)"),),
        caught_by=(_STATS,),
        mentions=("validation images included",)),
    Bug("sample_std", "channel_stats divides the variance by n - 1 instead of n",
        (Edit("data.py", "** 2).sum(axis=1) / total", "** 2).sum(axis=1) / (total - 1)"),),
        caught_by=("channel_stats",),
        also=(_STATS,),
        mentions=("population",)),
    Bug("stats_not_scaled", "channel_stats works on 0..255 pixel values instead of [0, 1]",
        (Edit("data.py", "values = np.arange(256, dtype=np.float64) / 255.0",
              "values = np.arange(256, dtype=np.float64)"),),
        caught_by=("channel_stats", _STATS),
        also=(_AUGMENT, _SPLIT),
        mentions=("divide by 255",)),
    Bug("augment_at_test_time", "the test loader uses the augmenting training transform",
        (Edit("data.py", "test_set = cls(root, train=False, transform=build_transforms(mean, std, False))",
              "test_set = cls(root, train=False, transform=build_transforms(mean, std, True, augment))"),),
        caught_by=(_AUGMENT,),
        mentions=("test images",)),
    Bug("transforms_ignore_train", "build_transforms augments whenever augment is true, also for evaluation",
        (Edit("data.py", "    if train and augment:\n", "    if augment:\n"),),
        caught_by=("build_transforms for evaluation",),
        also=(_AUGMENT, _SPLIT),
        mentions=("augmentation belongs",)),
    Bug("crop_without_padding", "RandomCrop(32) without padding never shifts a 32x32 image",
        (Edit("data.py", "steps += [transforms.RandomCrop(32, padding=4),", "steps += [transforms.RandomCrop(32),"),),
        caught_by=("build_transforms augmentation",),
        also=(_AUGMENT,),
        mentions=("never shifts",)),
    Bug("split_not_seeded", "the validation split uses NumPy's global random state, not the seed",
        (Edit("data.py", "order = np.random.default_rng(seed).permutation(n)", "order = np.random.permutation(n)"),),
        caught_by=(_SPLIT,),
        mentions=("same seed",)),
    Bug("validation_also_in_training", "the training split keeps the validation images too",
        (Edit("data.py", "val_idx, train_idx = order[:n_val].tolist(), order[n_val:].tolist()",
              "val_idx, train_idx = order[:n_val].tolist(), order.tolist()"),),
        caught_by=(_SPLIT,),
        also=(_STATS,),
        mentions=("both",)),
    Bug("batchnorm_after_relu", "the BatchNorm2d sits after the ReLU instead of between conv and ReLU",
        (Edit("model.py",
              "            if batchnorm:\n                layers.append(nn.BatchNorm2d(out_channels))\n"
              "            layers += [nn.ReLU(), nn.MaxPool2d(2)]\n",
              "            layers.append(nn.ReLU())\n            if batchnorm:\n"
              "                layers.append(nn.BatchNorm2d(out_channels))\n            layers.append(nn.MaxPool2d(2))\n"),),
        caught_by=("CifarNet layers",),
        mentions=("batchnorm -> ReLU",)),
    Bug("dropout_hard_coded", "CifarNet always drops half the units, whatever its dropout argument",
        (Edit("model.py", "nn.Dropout(dropout),", "nn.Dropout(0.5),"),),
        caught_by=("CifarNet dropout",),
        mentions=("dropout argument",)),
    Bug("conv_without_padding", "the convolutions have no padding, so the feature map shrinks to nothing",
        (Edit("model.py", "kernel_size=5, padding=2)", "kernel_size=5)"),),
        caught_by=_NET),
    Bug("evaluate_without_eval", "evaluate forgets model.eval(): dropout and batch statistics stay on",
        (Edit("train.py", "    model.eval()\n", ""),),
        caught_by=("evaluate in eval mode without gradients", "evaluate values"),
        mentions=("model.eval()",)),
    Bug("evaluate_with_gradients", "evaluate builds the autograd graph (no torch.no_grad())",
        (Edit("train.py", "    with torch.no_grad():\n        for images, labels in loader:",
              "    if True:\n        for images, labels in loader:"),),
        caught_by=("evaluate in eval mode without gradients",),
        mentions=("no_grad",)),
    Bug("evaluate_mean_of_batch_means", "evaluate averages the batch means, so a short last batch counts too much",
        (Edit("train.py", 'total_loss += F.cross_entropy(logits, labels, reduction="sum").item()',
              "total_loss += F.cross_entropy(logits, labels).item()"),
         Edit("train.py", '            count += labels.shape[0]\n    if count == 0:\n'
                          '        return {"loss": math.nan, "accuracy": math.nan}\n'
                          '    return {"loss": total_loss / count,',
              '            count += labels.shape[0]\n    if count == 0:\n'
              '        return {"loss": math.nan, "accuracy": math.nan}\n'
              '    return {"loss": total_loss / len(loader),')),
        caught_by=("evaluate values",),
        also=(_FIT_HISTORY,),
        mentions=("batch means",)),
    Bug("train_loss_mean_of_batch_means",
        "train_one_epoch averages the batch losses, so a short last batch counts too much",
        (Edit("train.py", "total_loss += loss.item() * labels.shape[0]", "total_loss += loss.item()"),
         Edit("train.py", '\n        count += labels.shape[0]\n    if count == 0:\n'
                          '        return {"loss": math.nan, "accuracy": math.nan}\n'
                          '    return {"loss": total_loss / count,',
              '\n        count += labels.shape[0]\n    if count == 0:\n'
              '        return {"loss": math.nan, "accuracy": math.nan}\n'
              '    return {"loss": total_loss / len(loader),')),
        caught_by=(_EPOCH,),
        also=(_FIT_HISTORY,),
        mentions=("mean of the batch means",)),
    Bug("missing_zero_grad", "train_one_epoch never zeroes the gradients, so they accumulate",
        (Edit("train.py", "        optimizer.zero_grad()\n", ""),),
        caught_by=(_EPOCH, _SCHEDULER),
        also=(_FIT_BEST, _FIT_HISTORY, "tiny overfit"),
        mentions=("zero_grad",)),
    Bug("missing_train_mode", "train_one_epoch never calls model.train(), so after evaluate it trains in eval mode",
        (Edit("train.py", "    model.train()\n", ""),),
        caught_by=(_EPOCH,),
        also=(_SCHEDULER,),
        mentions=("model.train()",)),
    Bug("scheduler_per_epoch", "the scheduler is stepped once per epoch, after the last batch",
        (Edit("train.py", "        if scheduler is not None:\n            scheduler.step()\n",
              "        if scheduler is not None and count + labels.shape[0] >= len(loader.dataset):\n"
              "            scheduler.step()\n"),),
        caught_by=(_SCHEDULER,),
        mentions=("once per epoch",)),
    Bug("fit_keeps_last_weights", "fit tracks the best epoch but returns with the last epoch's weights",
        (Edit("train.py", "    if best_state is not None:\n        model.load_state_dict(best_state)\n", ""),),
        caught_by=(_FIT_BEST,),
        mentions=("last epoch",)),
    Bug("fit_with_adam", "fit trains with Adam instead of SGD with momentum",
        (Edit("train.py", "optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum,\n"
                          "                                weight_decay=weight_decay)",
              "optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)"),),
        caught_by=(_FIT_HISTORY,),
        also=(_FIT_BEST,),
        mentions=("optimizer",)),
    Bug("fit_without_weight_decay", "fit drops the weight decay",
        (Edit("train.py", "momentum=momentum,\n                                weight_decay=weight_decay)",
              "momentum=momentum)"),),
        caught_by=(_FIT_HISTORY,),
        also=(_FIT_BEST,)),
]

# The generalization set (issue 14): slips written from SPEC.md and from mistakes that
# students make in courses like this one, NOT from the slips the diagnostics know. They
# measure how well the feedback generalizes; `names_slip` was fixed before the grader's
# messages were seen (see tests/mutations/GENERALIZATION.md).
GENERALIZATION = [
    Bug("std_averaged_over_images", "channel_stats averages the per-image standard deviations instead of "
        "taking the std over all pixels (a fast.ai forum classic)",
        (Edit("data.py",
              "    return tuple(float(m) for m in mean), tuple(float(s) for s in np.sqrt(var))\n",
              "    per_image_std = (images / 255.0).std(axis=(1, 2)).mean(axis=0)\n"
              "    return tuple(float(m) for m in mean), tuple(float(s) for s in per_image_std)\n"),),
        caught_by=(),
        names_slip=("per image", "per-image", "average of the", "mean of the per", "pooled")),
    Bug("normalize_before_to_tensor", "build_transforms puts Normalize before ToTensor, so Normalize gets a "
        "PIL image",
        (Edit("data.py", "    steps += [transforms.ToTensor(), transforms.Normalize(tuple(mean), tuple(std))]\n",
              "    steps += [transforms.Normalize(tuple(mean), tuple(std)), transforms.ToTensor()]\n"),),
        caught_by=(),
        names_slip=("totensor first", "before totensor", "normalize before", "after totensor", "pil image")),
    Bug("validation_augmented", "make_loaders builds the validation loader on the augmenting training dataset",
        (Edit("data.py", "val = DataLoader(Subset(eval_view, val_idx), batch_size=batch_size, shuffle=False)",
              "val = DataLoader(Subset(train_set, val_idx), batch_size=batch_size, shuffle=False)"),),
        caught_by=(),
        names_slip=("validation images are augmented", "validation loader augments", "val loader augments",
                    "validation split is augmented", "augments the validation")),
    Bug("test_loader_shuffled", "make_loaders shuffles the test loader",
        (Edit("data.py", "test = DataLoader(test_set, batch_size=batch_size, shuffle=False)",
              "test = DataLoader(test_set, batch_size=batch_size, shuffle=True)"),),
        caught_by=(),
        names_slip=("shuffle",)),
    Bug("split_with_torch_randperm", "make_loaders splits with torch.randperm from the seed instead of "
        "np.random.default_rng(seed).permutation",
        (Edit("data.py", "order = np.random.default_rng(seed).permutation(n)",
              "order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()"),),
        caught_by=(),
        names_slip=("default_rng", "randperm", "permutation")),
    Bug("softmax_in_model", "CifarNet ends with nn.Softmax, so it returns probabilities that cross_entropy "
        "then treats as logits",
        (Edit("model.py", "            nn.Linear(1000, num_classes),\n        )",
              "            nn.Linear(1000, num_classes),\n            nn.Softmax(dim=1),\n        )"),),
        caught_by=(),
        names_slip=("softmax", "probabilities instead of logits", "not logits")),
    Bug("dropout_before_first_fc", "CifarNet applies the dropout to the flattened features, before fc4, "
        "instead of before the last layer",
        (Edit("model.py",
              "            nn.Flatten(),\n            nn.Linear(64 * 4 * 4, 1000),\n            nn.ReLU(),\n"
              "            nn.Dropout(dropout),\n",
              "            nn.Flatten(),\n            nn.Dropout(dropout),\n"
              "            nn.Linear(64 * 4 * 4, 1000),\n            nn.ReLU(),\n"),),
        caught_by=(),
        names_slip=("before the last layer", "before fc5", "before the first fc", "wrong place",
                    "position of the dropout")),
    Bug("epoch_loss_kept_as_tensor", "train_one_epoch accumulates loss * batch size as a tensor (no .item()), "
        "so it returns a tensor and keeps every batch's graph alive",
        (Edit("train.py", "total_loss += loss.item() * labels.shape[0]", "total_loss += loss * labels.shape[0]"),),
        caught_by=(),
        names_slip=("tensor", ".item()")),
    Bug("evaluate_argmax_over_batch",
        "evaluate takes the argmax over dim 0 (the batch) instead of over the classes",
        (Edit("train.py",
              "            correct += (logits.argmax(dim=1) == labels).sum().item()\n            count",
              "            correct += (logits.argmax(dim=0) == labels).sum().item()\n            count"),),
        caught_by=(),
        names_slip=("dim=0", "dim 0", "wrong axis", "wrong dim", "over the batch")),
    Bug("best_state_not_copied", "fit keeps model.state_dict() without a deep copy; its tensors alias the "
        "live weights, so the 'best' state is always the last one",
        (Edit("train.py", "            best_state = copy.deepcopy(model.state_dict())\n",
              "            best_state = model.state_dict()\n"),),
        caught_by=(),
        names_slip=("deepcopy", "deep copy", "not copied", "alias", "references", "keeps changing")),
]
