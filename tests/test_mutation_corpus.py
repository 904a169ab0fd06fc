"""The mutation corpus (tests/mutations/): how well the grader catches and names
planted slips. Reports and asserts two fractions over all variants: detected
(some check loses points; target 100%) and named (a losing check's message
contains the phrase declared for the slip; target >= 80%).

See the fractions and a line per variant with `pytest tests/test_mutation_corpus.py -rP`,
or run `python tests/mutations/mutation_corpus.py`.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from autograder.reference import SOLUTIONS
from autograder.rubrics import load_rubric

MUTATIONS = Path(__file__).resolve().parent / "mutations"
MIN_VARIANTS, MIN_NAMED = 60, 0.80


def _load_corpus():
    """tests/mutations/mutation_corpus.py, importable by name (the declaration
    files and the grading processes import it as ``mutation_corpus``)."""
    if "mutation_corpus" not in sys.modules:
        spec = importlib.util.spec_from_file_location("mutation_corpus", MUTATIONS / "mutation_corpus.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["mutation_corpus"] = module
        spec.loader.exec_module(module)
    return sys.modules["mutation_corpus"]


corpus = _load_corpus()


def _find_corpus(path: str) -> None:
    """Pool initializer: make ``mutation_corpus`` importable in a fresh process."""
    sys.path.insert(0, path)


@pytest.fixture(scope="module")
def variants():
    return corpus.corpus()


def test_the_corpus_is_large_mixed_and_spans_the_assignments(variants):
    assert len(variants) >= MIN_VARIANTS
    origins = {v.origin for v in variants}
    assert "hand" in origins and len(origins - {"hand"}) >= 4, origins
    by_assignment = {a: sum(v.assignment == a for v in variants) for a in corpus.assignments()}
    assert len(by_assignment) >= 2 and min(by_assignment.values()) >= 5, by_assignment
    assert all(v.expect.strip() for v in variants)
    for variant in variants:
        checks = {check.name for check in load_rubric(variant.assignment).checks}
        assert set(variant.only) <= checks, (variant.name, set(variant.only) - checks)


def test_every_variant_changes_the_reference(variants, tmp_path):
    for i, variant in enumerate(variants):
        written = variant.materialize(tmp_path / str(i))
        changed = [path.name for path in written.glob("*.py")
                   if path.read_bytes() != (SOLUTIONS / variant.assignment / path.name).read_bytes()]
        assert changed, variant.name
        for name in changed:
            compile((written / name).read_text(), name, "exec")  # still valid Python


def test_generated_mutations_are_found_inside_solution_regions():
    [variant] = corpus.generate("a1_backprop", "layers.py", "linear_backward", "swap_transposed_product")
    file, start, end, text = variant.splice
    source = (SOLUTIONS / "a1_backprop" / file).read_bytes()
    assert source[start:end] == b"x.T @ dout" and text == "dout.T @ x"
    assert source.rfind(b"### BEGIN SOLUTION", 0, start) > source.rfind(b"### END SOLUTION", 0, start)
    with pytest.raises(ValueError, match="finds no site"):
        corpus.generate("a1_backprop", "layers.py", "relu_forward", "drop_batch_sum")


@pytest.mark.slow
def test_every_variant_is_detected_and_most_are_named(variants):
    workers = max(1, min(2, os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_find_corpus, initargs=(str(MUTATIONS),)) as pool:
        outcomes = list(pool.map(corpus.grade_variant, variants))
    detected, named = corpus.fractions(outcomes)
    summary = (f"mutation corpus: {len(outcomes)} variants, {detected:.1%} detected, "
               f"{named:.1%} named (targets 100% and {MIN_NAMED:.0%})")
    print(corpus.table(outcomes))
    print(summary)
    missed = [o.variant.name for o in outcomes if not o.detected]
    assert not missed, f"{summary}; not detected: {missed}"
    assert named >= MIN_NAMED, summary
