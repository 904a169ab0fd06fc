"""a2_losses variants for the mutation corpus (see mutation_corpus.py)."""

from mutation_corpus import slip

HAND = [
    slip("bce_gradient_sign_of_second_term", "backward pass is wrong",
         ("losses.py", "dp = (-t / pc + (1.0 - t) / (1.0 - pc)) / n",
          "dp = (-t / pc - (1.0 - t) / (1.0 - pc)) / n")),
    slip("bce_with_logits_gradient_uses_sigmoid_of_minus_s", "backward pass is wrong",
         ("losses.py", "ds = (sigmoid(s) - t) / n", "ds = (sigmoid(-s) - t) / n")),
    slip("label_smoothing_forgets_to_take_smoothing_off_the_true_class", "true-class entries",
         ("losses.py", "target[np.arange(n), y] = 1.0 - smoothing", "target[np.arange(n), y] = 1.0")),
    slip("dice_gradient_forgets_the_2", "backward pass is wrong",
         ("losses.py", "dp = (numerator - 2.0 * t * denominator) / denominator ** 2",
          "dp = (numerator - t * denominator) / denominator ** 2")),
    slip("rmse_gradient_without_mean", "number of elements",
         ("losses.py", "dpred = e / (n * loss)", "dpred = e / loss")),
    slip("arctan_gradient_forgets_inner_derivative", "backward pass is wrong",
         ("losses.py", "* (2.0 / (1.0 + u * u)) * (2.0 * e)", "* (2.0 / (1.0 + u * u))")),
    slip("l2_gradient_without_2", "factor of 1/2",
         ("losses.py", "grads[name] = 2.0 * lam * value", "grads[name] = lam * value")),
    slip("precision_and_recall_swapped", "swapped",
         ("metrics.py", "return float(precision), float(recall), float(f1)",
          "return float(recall), float(precision), float(f1)")),
    slip("focal_gradient_without_clip_mask", "the clip",
         ("losses.py", "    dp = -(d_pos + d_neg) / n\n    dp = np.where(inside, dp, 0.0)\n",
          "    dp = -(d_pos + d_neg) / n\n")),
    slip("softmax_jacobian_outer_sign", "wrong only in the diagonal",
         ("losses.py", "return np.diag(p) - np.outer(p, p)",
          "return np.diag(p) - np.outer(p, p) + 2 * np.diag(p * p)")),
]

GENERATED = {
    "losses.py": {
        "softmax_jacobian": ("drop_max_shift",),
        "binary_cross_entropy": ("negate",),
        "bce_with_logits": ("halve", "drop_normalisation"),
        "label_smoothing_cross_entropy": ("negate", "drop_max_shift"),
        "dice_loss": ("double",),
        "arctan_loss": ("negate",),
    },
}
