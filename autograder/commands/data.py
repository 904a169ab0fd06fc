"""`autograder data fetch NAME` and `autograder data synth NAME --root DIR`."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from autograder.data.commands import fetch_command, synth_command

    if args.action == "fetch":
        return fetch_command(args.name, args.root)
    return synth_command(args.name, args.root, n=args.n, seed=args.seed)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="datasets: download the real ones, or write small synthetic ones")
    actions = p.add_subparsers(dest="action", required=True)
    fetch = actions.add_parser("fetch", help="download through torchvision and verify the checksums")
    fetch.add_argument("name", choices=["mnist", "cifar10", "cifar100"])
    fetch.add_argument("--root", help="where to put it (default: $AUTOGRADER_DATA, else the "
                                      "repository's source_data/, where the grader looks)")
    synth = actions.add_parser("synth", help="write a small learnable dataset in the real on-disk format")
    synth.add_argument("name", choices=["mnist", "cifar10", "cifar100"])
    synth.add_argument("--root", required=True, help="directory to write into")
    synth.add_argument("--n", type=int, default=1000, help="training images (default 1000)")
    synth.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)
