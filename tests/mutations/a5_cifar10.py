"""a5_cifar10 variants for the mutation corpus (see mutation_corpus.py).

Grading all of a5 takes about 20 s (it trains small networks), so each
variant runs only the checks of the function it breaks."""

from mutation_corpus import slip

HAND = [
    slip("channel_stats_returns_variance", "variance",
         ("data.py", "tuple(float(s) for s in np.sqrt(var))", "tuple(float(s) for s in var)"),
         only=("channel_stats",)),
    slip("augmentation_without_crop", "RandomCrop",
         ("data.py", "steps += [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip()]",
          "steps += [transforms.RandomHorizontalFlip()]"),
         only=("build_transforms augmentation",)),
    slip("classifier_without_relu", "ReLU",
         ("model.py", "            nn.Linear(64 * 4 * 4, 1000),\n            nn.ReLU(),\n",
          "            nn.Linear(64 * 4 * 4, 1000),\n"),
         only=("CifarNet layers", "CifarNet parameter count")),
    slip("evaluate_sums_batch_accuracies", "accuracy",
         ("train.py", "            total_loss += F.cross_entropy(logits, labels, reduction=\"sum\").item()\n"
          "            correct += (logits.argmax(dim=1) == labels).sum().item()",
          "            total_loss += F.cross_entropy(logits, labels, reduction=\"sum\").item()\n"
          "            correct += (logits.argmax(dim=1) == labels).float().mean().item()"),
         only=("evaluate values",)),
    slip("step_before_backward", "step",
         ("train.py", "        loss.backward()\n        optimizer.step()\n",
          "        optimizer.step()\n        loss.backward()\n"),
         only=("train_one_epoch matches a correct loop",)),
    slip("history_records_training_accuracy_as_validation", "val_accuracy",
         ("train.py", 'history["val_accuracy"].append(validated["accuracy"])',
          'history["val_accuracy"].append(trained["accuracy"])'),
         only=("fit history and SGD settings", "fit keeps the best-validation weights")),
]

GENERATED = {}
