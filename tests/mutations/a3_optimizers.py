"""a3_optimizers variants for the mutation corpus (see mutation_corpus.py).

The update rules assign no gradients, so these are all written by hand."""

from mutation_corpus import slip

_SGD_STEP = 'g = dw + config["weight_decay"] * w\n    next_w = w - config["learning_rate"] * g\n'

HAND = [
    slip("sgd_weight_decay_subtracted", "subtracted from the gradient",
         ("optim.py", _SGD_STEP,
          'g = dw - config["weight_decay"] * w\n    next_w = w - config["learning_rate"] * g\n')),
    slip("sgd_weight_decay_not_scaled_by_lr", "not scaled by the learning rate",
         ("optim.py", _SGD_STEP,
          'next_w = w - config["learning_rate"] * dw - config["weight_decay"] * w\n')),
    slip("nesterov_ignored", "nesterov option changes nothing",
         ("optim.py", 'if config["nesterov"]:', "if False:")),
    slip("momentum_velocity_not_stored", "velocity is not carried",
         ("optim.py", '    config["velocity"] = velocity\n', "")),
    slip("rmsprop_without_one_minus_alpha", "(1 - alpha) factor",
         ("optim.py", "+ (1.0 - alpha) * g * g", "+ g * g")),
    slip("adam_corrects_only_m", "only m is bias-corrected",
         ("optim.py", "v_hat = v / (1.0 - beta2 ** t)", "v_hat = v")),
    slip("adam_eps_inside_sqrt", "eps is added inside the square root",
         ("optim.py", 'm_hat / (np.sqrt(v_hat) + config["eps"])', 'm_hat / np.sqrt(v_hat + config["eps"])')),
    slip("adam_step_count_not_stored", "step count t is not carried",
         ("optim.py", 'config["m"], config["v"], config["t"] = m, v, t', 'config["m"], config["v"] = m, v')),
    slip("adamw_decay_not_scaled_by_lr", "not scaled by the learning rate",
         ("optim.py", 'decayed = w - config["learning_rate"] * config["weight_decay"] * w',
          'decayed = w - config["weight_decay"] * w')),
    slip("sam_gradient_at_w", "not at w + e",
         ("optim.py", "g_sharp = grad_fn(w + e)", "g_sharp = grad_fn(w)")),
    slip("sam_perturbs_downhill", "goes downhill",
         ("optim.py", "g_sharp = grad_fn(w + e)", "g_sharp = grad_fn(w - e)")),
]

GENERATED = {}
