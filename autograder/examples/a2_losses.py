"""Realistic a2 slips, each a small edit of the reference (see examples/__init__.py)."""

from autograder.examples import Bug, Edit

_BCE = ("binary_cross_entropy value", "binary_cross_entropy", "binary_cross_entropy clipping")
_FOCAL = ("focal_loss value", "focal_loss", "focal_loss with other gammas")
_SMOOTHING = ("label_smoothing_cross_entropy value", "label_smoothing_cross_entropy",
              "label_smoothing_cross_entropy at large logits")

BUGS = [
    Bug("dice_without_eps", "dice_loss leaves the smoothing eps out of the numerator and denominator",
        (Edit("losses.py", "    numerator = 2.0 * np.sum(p * t) + eps\n    denominator = np.sum(p) + np.sum(t) + eps\n",
              "    numerator = 2.0 * np.sum(p * t)\n    denominator = np.sum(p) + np.sum(t)\n"),),
        caught_by=("dice_loss on empty masks", "dice_loss value", "dice_loss"),
        mentions=("eps",)),
    Bug("bce_without_clipping", "binary_cross_entropy takes the log of p without clipping it",
        (Edit("losses.py",
              "    pc, inside = _clip_with_mask(p)\n    n = p.size\n    loss = -np.sum(t * np.log(pc)",
              "    pc, inside = p, np.ones(p.shape, dtype=bool)\n    n = p.size\n"
              "    loss = -np.sum(t * np.log(pc)"),),
        caught_by=("binary_cross_entropy clipping",),
        mentions=("finite", "clip p")),
    Bug("bce_gradient_ignores_clip", "binary_cross_entropy clips p but lets the gradient through "
        "where the clip is active",
        (Edit("losses.py", "    dp = np.where(inside, dp, 0.0)\n    return float(loss), dp\n"
              "    ### END SOLUTION\n\n\ndef bce_with_logits",
              "    return float(loss), dp\n    ### END SOLUTION\n\n\ndef bce_with_logits"),),
        caught_by=("binary_cross_entropy clipping",),
        mentions=("dp 0",)),
    Bug("bce_sum_not_mean", "binary_cross_entropy sums over the elements instead of averaging",
        (Edit("losses.py",
              "    loss = -np.sum(t * np.log(pc) + (1.0 - t) * np.log1p(-pc)) / n\n"
              "    dp = (-t / pc + (1.0 - t) / (1.0 - pc)) / n\n",
              "    loss = -np.sum(t * np.log(pc) + (1.0 - t) * np.log1p(-pc))\n"
              "    dp = -t / pc + (1.0 - t) / (1.0 - pc)\n"),),
        caught_by=("binary_cross_entropy is a mean",) + _BCE,
        mentions=("sum",)),
    Bug("focal_gamma_swapped", "focal_loss puts p^gamma on the positive term and (1-p)^gamma on "
        "the negative one (the gradient derived from that wrong loss)",
        (Edit("losses.py",
              "loss = -np.sum(t * q ** gamma * log_p + (1.0 - t) * pc ** gamma * log_q) / n",
              "loss = -np.sum(t * pc ** gamma * log_p + (1.0 - t) * q ** gamma * log_q) / n"),
         Edit("losses.py",
              "    d_pos = t * (q ** gamma / pc - gamma * q ** (gamma - 1.0) * log_p)\n"
              "    d_neg = (1.0 - t) * (gamma * pc ** (gamma - 1.0) * log_q - pc ** gamma / q)\n",
              "    d_pos = t * (pc ** gamma / pc + gamma * pc ** (gamma - 1.0) * log_p)\n"
              "    d_neg = (1.0 - t) * (-gamma * q ** (gamma - 1.0) * log_q - q ** gamma / q)\n")),
        caught_by=_FOCAL,
        mentions=("differs",)),
    Bug("sigmoid_overflow", "sigmoid computes exp(x) / (1 + exp(x)), which is inf / inf for large x",
        (Edit("losses.py", "    e = np.exp(-np.abs(x))\n    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n",
              "    return np.exp(x) / (1.0 + np.exp(x))\n"),),
        caught_by=("sigmoid at +-1000",),
        also=("bce_with_logits at +-1000",),
        mentions=("NaN",)),
    Bug("bce_with_logits_via_probabilities", "bce_with_logits turns the logits into clipped "
        "probabilities and calls binary_cross_entropy, which is wrong for |s| beyond ~28",
        (Edit("losses.py",
              "    per_element = (np.maximum(s, 0.0) - t * s) + np.log1p(np.exp(-np.abs(s)))\n"
              "    loss = np.sum(per_element) / n\n",
              "    loss = binary_cross_entropy(sigmoid(s), t)[0]\n"),),
        caught_by=("bce_with_logits at +-1000",),
        mentions=("log1p",)),
    Bug("jacobian_missing_diagonal", "softmax_jacobian returns -p p^T without the diag(p) term",
        (Edit("losses.py", "    return np.diag(p) - np.outer(p, p)\n", "    return -np.outer(p, p)\n"),),
        caught_by=("softmax_jacobian rows sum to 0", "softmax_jacobian",
                   "softmax_jacobian at large logits"),
        mentions=("sum to 0",)),
    Bug("jacobian_without_max_shift", "softmax_jacobian exponentiates the raw logits and overflows",
        (Edit("losses.py", "    shifted = z - np.max(z)\n", "    shifted = z\n"),),
        caught_by=("softmax_jacobian at large logits",),
        mentions=("NaN",)),
    Bug("smoothing_over_all_classes", "label smoothing spreads smoothing / C instead of "
        "smoothing / (C - 1) over the other classes",
        (Edit("losses.py", "smoothing / (c - 1)", "smoothing / c"),),
        caught_by=_SMOOTHING),
    Bug("smoothing_without_logsumexp_shift", "label_smoothing_cross_entropy takes exp of the raw "
        "logits, which overflows for logits of 1e4",
        (Edit("losses.py", "    shifted = logits - np.max(logits, axis=1, keepdims=True)\n",
              "    shifted = logits\n"),),
        caught_by=("label_smoothing_cross_entropy at large logits",),
        mentions=("log-softmax",)),
    Bug("rmse_without_eps", "rmse_loss leaves eps out of the square root, so its gradient at zero "
        "error is 0 / 0",
        (Edit("losses.py", "loss = np.sqrt(np.sum(e * e) / n + eps)", "loss = np.sqrt(np.sum(e * e) / n)"),),
        caught_by=("rmse_loss at zero error",),
        mentions=("NaN", "inside the square root")),
    Bug("rmse_in_place", "rmse_loss subtracts the target from pred in place",
        (Edit("losses.py", "    e = pred - target\n    n = pred.size\n",
              "    pred -= target\n    e = pred\n    n = pred.size\n"),),
        caught_by=("inputs are not modified in place",),
        mentions=("rmse_loss",)),
    Bug("arctan_mean_not_sum", "arctan_loss averages over the elements instead of summing",
        (Edit("losses.py", "    loss = np.sum(a * a) / 5.0\n", "    loss = np.mean(a * a) / 5.0\n"),
         Edit("losses.py", "    dpred = -dloss_de\n", "    dpred = -dloss_de / e.size\n")),
        caught_by=("arctan_loss is a sum", "arctan_loss value", "arctan_loss"),
        mentions=("mean",)),
    Bug("arctan_gradient_sign", "arctan_loss forgets that e = target - pred, so de/dpred = -1",
        (Edit("losses.py", "    dpred = -dloss_de\n", "    dpred = dloss_de\n"),),
        caught_by=("arctan_loss",),
        mentions=("sign",)),
    Bug("l2_grads_only_for_weights", "l2_penalty returns gradients only for the weight matrices",
        (Edit("losses.py", "        else:\n            grads[name] = np.zeros_like(value)\n", ""),),
        caught_by=("l2_penalty gradients",),
        mentions=("missing",)),
    Bug("l2_penalises_biases", "l2_penalty penalises the biases too",
        (Edit("losses.py", '        if name.startswith("W"):\n', '        if name.startswith(("W", "b")):\n'),),
        caught_by=("l2_penalty value", "l2_penalty gradients")),
    Bug("confusion_matrix_transposed", "confusion_matrix puts the predicted class in the rows",
        (Edit("metrics.py", "np.bincount(y_true * c + y_pred", "np.bincount(y_pred * c + y_true"),),
        caught_by=("confusion_matrix",),
        mentions=("transpose",)),
    Bug("precision_zero_division", "precision_recall_f1 divides by TP + FP even when nothing is "
        "predicted positive",
        (Edit("metrics.py", "precision = tp / (tp + fp) if tp + fp > 0 else 0.0", "precision = tp / (tp + fp)"),),
        caught_by=("precision_recall_f1 where undefined",),
        mentions=("ZeroDivisionError",)),
    Bug("bounds_keep_empty_predictions", "the bounds keep the split in which nothing is predicted "
        "positive",
        (Edit("metrics.py", "        if tp + fp == 0:\n            continue\n", ""),),
        caught_by=("recall_bounds", "bounds raise ValueError")),
    Bug("bounds_ignore_false_negative_limit", "the bounds allow more false negatives than there "
        "are positives",
        (Edit("metrics.py", "if fn > positives or fp > n - positives:", "if fp > n - positives:"),),
        caught_by=("precision_bounds with more errors than positives",),
        also=("bounds raise ValueError",)),
    Bug("naive_worst_precision", "the worst precision typed in as 1/5: 4 errors among 5 sick subjects",
        (Edit("answers.py", "WORST_PRECISION, BEST_PRECISION = precision_bounds(SUBJECTS, POSITIVES, ERRORS)\n",
              "WORST_PRECISION, BEST_PRECISION = precision_bounds(SUBJECTS, POSITIVES, ERRORS)\n"
              "WORST_PRECISION = 1 / POSITIVES\n"),),
        caught_by=("WORST_PRECISION",)),
    Bug("accuracy_as_percentage", "the accuracy of answering healthy is given as a percentage",
        (Edit("answers.py", "ALL_NEGATIVE_ACCURACY = (SUBJECTS - POSITIVES) / SUBJECTS",
              "ALL_NEGATIVE_ACCURACY = 100 * (SUBJECTS - POSITIVES) / SUBJECTS"),),
        caught_by=("ALL_NEGATIVE_ACCURACY",),
        mentions=("percentage",)),
]

# The generalization set (issue 14): slips written from SPEC.md and from mistakes that
# students make in courses like this one, NOT from the slips the diagnostics know. They
# measure how well the feedback generalizes; `names_slip` was fixed before the grader's
# messages were seen (see tests/mutations/GENERALIZATION.md).
GENERALIZATION = [
    Bug("jacobian_inner_product", "softmax_jacobian subtracts p @ p (a scalar, the inner product) from "
        "diag(p) instead of the outer product p p^T",
        (Edit("losses.py", "return np.diag(p) - np.outer(p, p)", "return np.diag(p) - p @ p"),),
        caught_by=(),
        names_slip=("outer", "inner product", "off-diagonal", "scalar")),
    Bug("jacobian_diagonal_only", "softmax_jacobian keeps only the diagonal p_i (1 - p_i) and leaves the "
        "off-diagonal entries at zero",
        (Edit("losses.py", "return np.diag(p) - np.outer(p, p)", "return np.diag(p * (1.0 - p))"),),
        caught_by=(),
        names_slip=("off-diagonal", "only the diagonal", "diagonal only")),
    Bug("bce_with_logits_log_not_log1p", "bce_with_logits computes log(1 + exp(-|s|)) with np.log instead of "
        "np.log1p, which rounds the loss of confident right answers to 0",
        (Edit("losses.py", "np.log1p(np.exp(-np.abs(s)))", "np.log(1.0 + np.exp(-np.abs(s)))"),),
        caught_by=(),
        names_slip=("log1p", "rounded", "loss of precision", "cancellation")),
    Bug("smoothing_target_by_column", "label smoothing sets target[:, y] instead of target[np.arange(N), y], "
        "so every row gets 1 - smoothing in the columns of every label in the batch",
        (Edit("losses.py", "target[np.arange(n), y] = 1.0 - smoothing", "target[:, y] = 1.0 - smoothing"),),
        caught_by=(),
        names_slip=("[:, y]", "np.arange", "every label in the batch", "other rows")),
    Bug("focal_modulating_factor_constant", "the focal gradient treats the modulating factors (1-p)^gamma and "
        "p^gamma as constants (no product rule)",
        (Edit("losses.py",
              "    d_pos = t * (q ** gamma / pc - gamma * q ** (gamma - 1.0) * log_p)\n"
              "    d_neg = (1.0 - t) * (gamma * pc ** (gamma - 1.0) * log_q - pc ** gamma / q)\n",
              "    d_pos = t * (q ** gamma / pc)\n"
              "    d_neg = (1.0 - t) * (-(pc ** gamma) / q)\n"),),
        caught_by=(),
        names_slip=("modulating", "product rule", "(1-p)^gamma", "(1 - p)^gamma")),
    Bug("dice_without_factor_2", "dice_loss leaves out the 2 of 2 sum(p t), in the loss and consistently "
        "in its gradient",
        (Edit("losses.py", "numerator = 2.0 * np.sum(p * t) + eps", "numerator = np.sum(p * t) + eps"),
         Edit("losses.py", "dp = (numerator - 2.0 * t * denominator) / denominator ** 2",
              "dp = (numerator - t * denominator) / denominator ** 2")),
        caught_by=(),
        names_slip=("factor of 2", "2 sum(p t)", "2 * sum", "twice")),
    Bug("rmse_gradient_of_mse", "rmse_loss returns the MSE's gradient 2 e / N, forgetting the chain rule "
        "through the square root",
        (Edit("losses.py", "dpred = e / (n * loss)", "dpred = 2.0 * e / n"),),
        caught_by=(),
        names_slip=("square root", "chain rule", "gradient of the mse", "mse's gradient")),
    Bug("arctan_derivative_wrong", "arctan_loss differentiates arctan(u) as 1 / (1 + u) instead of 1 / (1 + u^2)",
        (Edit("losses.py", "(2.0 / (1.0 + u * u))", "(2.0 / (1.0 + u))"),),
        caught_by=(),
        names_slip=("1 + u", "derivative of arctan", "arctan's derivative")),
    Bug("confusion_matrix_no_minlength", "confusion_matrix calls np.bincount without minlength, so the "
        "reshape fails when the last classes never occur",
        (Edit("metrics.py", "counts = np.bincount(y_true * c + y_pred, minlength=c * c)",
              "counts = np.bincount(y_true * c + y_pred)"),),
        caught_by=(),
        names_slip=("minlength", "never occur", "does not occur", "missing class")),
    Bug("f1_arithmetic_mean", "F1 is the arithmetic mean of precision and recall instead of their harmonic mean",
        (Edit("metrics.py",
              "f1 = 2.0 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0",
              "f1 = (precision + recall) / 2.0"),),
        caught_by=(),
        names_slip=("harmonic", "arithmetic")),
    Bug("metrics_micro_averaged", "precision_recall_f1 counts over all classes (micro averaging), so all "
        "three equal the accuracy and the positive label is ignored",
        (Edit("metrics.py",
              "    tp = int(np.sum(actual & predicted))\n    fp = int(np.sum(~actual & predicted))\n"
              "    fn = int(np.sum(actual & ~predicted))\n",
              "    tp = int(np.sum(y_true == y_pred))\n    fp = int(np.sum(y_true != y_pred))\n"
              "    fn = fp\n"),),
        caught_by=(),
        names_slip=("micro", "accuracy", "positive class", "positive label")),
    Bug("precision_bounds_swapped", "precision_bounds returns (best, worst) instead of (worst, best)",
        (Edit("metrics.py",
              "values = [tp / (tp + fp) for tp, fp, _ in _allowed_splits(n, positives, errors)]\n"
              "    return float(min(values)), float(max(values))",
              "values = [tp / (tp + fp) for tp, fp, _ in _allowed_splits(n, positives, errors)]\n"
              "    return float(max(values)), float(min(values))"),),
        caught_by=(),
        names_slip=("swapped", "(worst, best)", "reversed", "best first")),
    Bug("recall_bounds_as_precision", "recall_bounds divides by TP + FP (copied from precision_bounds) "
        "instead of TP + FN",
        (Edit("metrics.py", "values = [tp / (tp + fn) if tp + fn > 0 else 0.0\n              for tp, _, fn in",
              "values = [tp / (tp + fp) if tp + fp > 0 else 0.0\n              for tp, fp, fn in"),),
        caught_by=(),
        names_slip=("tp + fp", "the precision", "false positives", "instead of tp + fn")),
]
