"""assignments/ and the public expected values are generated, never edited."""

from __future__ import annotations

import subprocess
import sys

from autograder.authoring.skeleton import skeleton_source
from autograder.reference import REPOSITORY


def test_generated_files_are_up_to_date():
    result = subprocess.run([sys.executable, "-m", "autograder", "generate", "--check"],
                            cwd=REPOSITORY, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_fails_when_a_skeleton_is_out_of_date(tmp_path, monkeypatch):
    from autograder.authoring import generate as gen

    out = tmp_path / "assignments"
    assert gen.generate(["a1_backprop"], check=False, output=out)  # writes everything
    assert gen.generate(["a1_backprop"], check=True, output=out) == []
    (out / "a1_backprop" / "layers.py").write_text("# edited by hand\n")
    problems = gen.generate(["a1_backprop"], check=True, output=out)
    assert any("layers.py is out of date" in p for p in problems)


def test_stub_keeps_signature_and_docstring_and_raises_the_hint():
    source = '''def f(x):
    """Doubles x.

    x: (N,). Returns (N,).
    """
    ### BEGIN SOLUTION hint: multiply by two
    y = 2 * x
    ### END SOLUTION
    return y

VALUE = None
### BEGIN SOLUTION hint: the answer
VALUE = 42
### END SOLUTION
'''
    stub = skeleton_source(source)
    assert 'def f(x):\n    """Doubles x.' in stub
    assert 'raise NotImplementedError("multiply by two")' in stub
    assert "2 * x" not in stub and "42" not in stub
    assert "# YOUR ANSWER HERE (hint: the answer)" in stub
    namespace: dict = {}
    exec(compile(stub, "stub.py", "exec"), namespace)
    assert namespace["VALUE"] is None
