"""The Gradescope autograder bundle of one assignment: ID_autograder.zip.

Gradescope unpacks the zip into /autograder/source, runs setup.sh once when
it builds the image, and runs run_autograder (copied to /autograder) for
every submission, which must leave /autograder/results/results.json.

The zip's root holds:
    setup.sh          makes a virtual environment in /autograder/venv and
                      installs the bundled package (editable) with its dependencies
    run_autograder    grades /autograder/submission with the bundled reference
    pyproject.toml, README.md, autograder/   the package
    solutions/ID/     the reference

run_autograder takes its paths from the environment, so that a test can run
it in a temporary tree laid out like Gradescope's:
    AUTOGRADER_ROOT    the tree, default /autograder (source/, submission/, results/)
    AUTOGRADER_PYTHON  the interpreter, default $AUTOGRADER_ROOT/venv/bin/python
It runs ``python -m autograder`` from the source directory, so the bundled
package is the one imported even where another copy is installed.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from autograder.reference import REPOSITORY
from autograder.rubrics import assignment

PACKAGE_FILES = ("pyproject.toml", "README.md")
SKIPPED = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.
set -euo pipefail
apt-get update -q
apt-get install -y -q python3 python3-pip python3-venv
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --upgrade pip
/autograder/venv/bin/python -m pip install -e /autograder/source
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. Paths come from the environment
# (see autograder/authoring/gradescope.py) so that tests can relocate the tree.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
SOURCE="$ROOT/source"
RESULTS="$ROOT/results"
mkdir -p "$RESULTS"
rm -f "$RESULTS/results.json"
cd "$SOURCE" || exit 1
# a submission uploaded as one folder is graded inside that folder
SUBMISSION="$("$PYTHON" -c 'import sys; from autograder.batch.unpack import submission_root; print(submission_root(sys.argv[1]))' "$ROOT/submission")" || SUBMISSION="$ROOT/submission"
"$PYTHON" -m autograder grade "$SUBMISSION" --assignment {assignment} \\
    --reference "$SOURCE/{reference}" \\
    --format gradescope --output "$RESULTS/results.json"
if [ ! -s "$RESULTS/results.json" ]; then
    cat > "$RESULTS/results.json" <<'JSON'
{{"score": 0, "output": "The autograder could not grade this submission; please tell the course staff.", "tests": []}}
JSON
fi
"""


def _tree(root: Path) -> Iterator[Path]:
    """Files under ``root`` in path order, without caches."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and not SKIPPED & set(path.relative_to(root).parts) \
                and path.suffix != ".pyc":
            yield path


def bundle_files(name: str) -> dict[str, Path | str]:
    """What goes into the zip of the assignment ``name``: {name in the zip: source file or text}."""
    target = assignment(name)
    reference = target.solution_dir
    if not reference.is_dir():
        raise FileNotFoundError(f"reference directory {reference} does not exist")
    run_autograder = RUN_AUTOGRADER.format(assignment=target.id,
                                           reference=reference.relative_to(REPOSITORY).as_posix())
    files: dict[str, Path | str] = {"setup.sh": SETUP_SH, "run_autograder": run_autograder}
    for package_file in PACKAGE_FILES:
        files[package_file] = REPOSITORY / package_file
    for folder in (REPOSITORY / "autograder", reference):
        for path in _tree(folder):
            files[path.relative_to(REPOSITORY).as_posix()] = path
    return files


def build_bundle(name: str, output: str | Path) -> Path:
    """Write the Gradescope zip for the assignment ``name`` to ``output``.

    The zip is reproducible: entries in path order with a fixed timestamp;
    the two scripts are executable.
    """
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as bundle:
        for entry, content in sorted(bundle_files(name).items()):
            info = zipfile.ZipInfo(entry, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            executable = entry in ("setup.sh", "run_autograder")
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            data = content.encode() if isinstance(content, str) else content.read_bytes()
            bundle.writestr(info, data)
    return output
