"""A grader killed with SIGKILL takes its sandbox worker with it, and the
temporary directories it leaves are swept by the next grader."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from autograder.reference import SOLUTIONS
from autograder.sandbox.scratch import ScratchDir, sweep_stale

HOLD = textwrap.dedent("""
    import sys, time
    from autograder.sandbox.scratch import ScratchDir
    scratch = ScratchDir(sys.argv[1])
    print(scratch.path, flush=True)
    if sys.argv[2] == "die":
        import os; os._exit(0)
    time.sleep(60)
""")


def _holder(tmp: Path, prefix: str, mode: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-c", HOLD, prefix, mode], stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "TMPDIR": str(tmp)})
    return process, process.stdout.readline().strip()


def test_sweep_removes_what_dead_owners_left_and_keeps_the_rest(tmp_path):
    dead, dead_path = _holder(tmp_path, "ag-work-", "die")
    dead.wait()
    alive, alive_path = _holder(tmp_path, "ag-batch-", "hold")
    unrelated = tmp_path / "ag-work-not-ours"
    unrelated.mkdir()
    try:
        assert Path(dead_path).is_dir()
        assert sweep_stale(tmp_path) == []  # the dead owner's lock is still too young
        assert sweep_stale(tmp_path, min_age_s=0) == [dead_path]
        assert not Path(dead_path).exists() and not Path(dead_path + ".lock").exists()
        assert Path(alive_path).is_dir() and Path(alive_path + ".lock").exists()
        assert unrelated.is_dir()  # no lock file: not a scratch directory
    finally:
        alive.kill()
        alive.wait()


def test_scratch_dir_is_private_and_removed_with_its_lock(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    scratch = ScratchDir("ag-runtime-")
    assert oct(os.stat(scratch.path).st_mode & 0o777) == "0o700"
    assert sweep_stale(tmp_path, min_age_s=0) == []  # this process holds it
    scratch.remove()
    scratch.remove()
    assert list(tmp_path.iterdir()) == []


def _processes_in(directory: str) -> list[int]:
    """PIDs whose working directory is ``directory``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "cwd") == directory:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _wait_for(predicate, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def test_killed_grader_takes_its_worker_along_and_the_next_sweep_cleans_up(tmp_path):
    submission = tmp_path / "submission"
    shutil.copytree(SOLUTIONS / "a1_backprop", submission)
    layers = submission / "layers.py"
    layers.write_text("import time\ntime.sleep(600)\n" + layers.read_text())
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(submission), "-a", "a1"],
                              env={**os.environ, "TMPDIR": str(scratch_root)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workdir = _wait_for(lambda: next((str(p) for p in scratch_root.glob("ag-work-*")
                                          if p.is_dir()), None))
        worker = _wait_for(lambda: _processes_in(workdir))[0]
    finally:
        grader.send_signal(signal.SIGKILL)
        grader.wait()
    _wait_for(lambda: not Path(f"/proc/{worker}").exists() or
              "Z" in Path(f"/proc/{worker}/stat").read_text().split(")")[-1][:3], seconds=10)
    left = sorted(p.name for p in scratch_root.iterdir() if p.is_dir())
    assert any(name.startswith("ag-work-") for name in left)
    assert any(name.startswith("ag-runtime-") for name in left)
    sweep_stale(scratch_root, min_age_s=0)
    assert list(scratch_root.iterdir()) == []
