"""Time the reference NumPy convolution against torch's F.conv2d on the CPU.

    python benchmarks/conv_vs_torch.py [--repeats 50] [--threads 1]

``--threads N`` pins both torch and NumPy's BLAS (through threadpoolctl) to N
threads, the like-for-like comparison; without it each library picks its own.

Input 32x3x32x32, 16 filters 3x3, padding 1, float64 on both sides. The two
implementations are timed alternately, call by call, so that both see the same
machine load; the table gives the best (minimum) and the median time of the
forward and of the backward pass of each, and the ratio reference / torch of
the best times. The target is a ratio within 5x.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "solutions" / "a4_convolutions"))
import conv  # noqa: E402  (the reference module)


def interleaved_times(ours, theirs, repeats):
    """Lists of seconds per call of ``ours`` and ``theirs``, timed alternately."""
    ours(), theirs()  # warm-up
    times = ([], [])
    for _ in range(repeats):
        for fn, sink in ((ours, times[0]), (theirs, times[1])):
            start = time.perf_counter()
            fn()
            sink.append(time.perf_counter() - start)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for torch and for NumPy's BLAS (default: each library's own choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3, 32, 32))
    w = rng.standard_normal((16, 3, 3, 3))
    b = rng.standard_normal(16)
    out, cache = conv.conv2d_forward(x, w, b, stride=1, padding=1)
    dout = rng.standard_normal(out.shape)

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out_t = F.conv2d(xt, wt, bt, padding=1)
    torch_grads = torch.autograd.grad(out_t, (xt, wt, bt), torch.tensor(dout), retain_graph=True)
    for ours, theirs in zip((out, *conv.conv2d_backward(dout, cache)), (out_t, *torch_grads)):
        assert np.allclose(ours, theirs.detach().numpy()), "the reference disagrees with torch"

    def torch_forward():
        with torch.no_grad():
            F.conv2d(xt, wt, bt, padding=1)

    def torch_backward():
        torch.autograd.grad(out_t, (xt, wt, bt), torch.tensor(dout), retain_graph=True)

    rows = [
        ("forward", *interleaved_times(lambda: conv.conv2d_forward(x, w, b, stride=1, padding=1),
                                       torch_forward, args.repeats)),
        ("backward", *interleaved_times(lambda: conv.conv2d_backward(dout, cache),
                                        torch_backward, args.repeats)),
    ]
    print(f"conv2d, x 32x3x32x32, w 16x3x3x3, padding 1, float64, "
          f"threads {args.threads or 'default'} (torch {torch.get_num_threads()}), {args.repeats} calls each")
    print(f"{'pass':<10}{'reference ms':>22}{'torch ms':>22}{'ratio':>8}")
    print(f"{'':<10}{'best':>11}{'median':>11}{'best':>11}{'median':>11}{'(best)':>8}")
    for name, ours, theirs in rows:
        print(f"{name:<10}{min(ours) * 1e3:>11.2f}{statistics.median(ours) * 1e3:>11.2f}"
              f"{min(theirs) * 1e3:>11.2f}{statistics.median(theirs) * 1e3:>11.2f}"
              f"{min(ours) / min(theirs):>8.2f}")


if __name__ == "__main__":
    main()
