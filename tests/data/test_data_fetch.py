"""fetch: downloads through torchvision, verifies MD5 sums, fails in one line."""

from __future__ import annotations

import json
import shutil
import tarfile

import pytest
import torchvision
from torchvision.datasets.utils import calculate_md5

from autograder.data import checksums
from autograder.data.commands import fetch_command, synth_command
from autograder.data.errors import ChecksumMismatch, DataError, DownloadFailed
from autograder.data.fetch import fetch
from autograder.data.load import cifar_dataset
from autograder.data.manifest import load_manifest
from autograder.data.synth import SYNTH_MARKER, write_synth


def _manifest_with_synth_sums(folder, name):
    """A copy of the manifest whose MD5 sums for ``name`` are those of a synthetic copy."""
    manifest = json.loads(json.dumps(load_manifest()))
    md5 = json.loads((folder / SYNTH_MARKER).read_text())["md5"]
    for item in manifest["datasets"][name]["files"]:
        item["md5"] = md5[item["filename"]]
    return manifest


def test_verify_accepts_matching_files_and_names_the_first_bad_one(tmp_path):
    folder = write_synth("cifar10", tmp_path, n=30)
    manifest = _manifest_with_synth_sums(folder, "cifar10")
    checksums.verify("cifar10", tmp_path, manifest)  # all match
    (folder / "test_batch").write_bytes(b"truncated")
    (folder / "data_batch_3").unlink()
    found = checksums.problems("cifar10", tmp_path, manifest)
    assert found == [
        f"{folder / 'data_batch_3'} is missing",
        f"{folder / 'test_batch'} has the wrong MD5 sum",
    ]
    with pytest.raises(ChecksumMismatch) as info:
        checksums.verify("cifar10", tmp_path, manifest)
    assert "data_batch_3" in str(info.value) and "1 more" in str(info.value) and "\n" not in str(info.value)


def test_synth_files_do_not_pass_as_the_real_dataset(tmp_path):
    write_synth("mnist", tmp_path, n=20)
    assert len(checksums.problems("mnist", tmp_path)) == 4


def test_download_failure_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "url", (tmp_path / "no-such.tar.gz").as_uri())
    with pytest.raises(DownloadFailed) as info:
        fetch("cifar10", tmp_path / "data")
    assert str(info.value).startswith("could not download CIFAR-10 into") and "\n" not in str(info.value)
    assert fetch_command("cifar10", str(tmp_path / "data")) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: could not download CIFAR-10") and "\n" not in err


def test_fetch_downloads_extracts_and_verifies(tmp_path, monkeypatch):
    """The whole path through torchvision, offline: only the HTTP requests are replaced
    (the transfer by a file copy); torchvision checks the archive's MD5 sum and extracts it."""
    source = tmp_path / "source"
    folder = write_synth("cifar10", source, n=30)
    (folder / SYNTH_MARKER).unlink()
    archive = tmp_path / "served.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    md5 = {p.name: calculate_md5(p) for p in folder.iterdir()}
    cls = torchvision.datasets.CIFAR10
    monkeypatch.setattr("torchvision.datasets.utils._get_redirect_url", lambda url, max_hops=3: url)
    monkeypatch.setattr(
        "torchvision.datasets.utils._urlretrieve",
        lambda url, filename, *a, **k: shutil.copyfile(archive, filename),
    )
    monkeypatch.setattr(cls, "tgz_md5", calculate_md5(archive))
    monkeypatch.setattr(cls, "train_list", [[f, md5[f]] for f, _ in cls.train_list])
    monkeypatch.setattr(cls, "test_list", [[f, md5[f]] for f, _ in cls.test_list])
    monkeypatch.setattr(cls, "meta", dict(cls.meta, md5=md5["batches.meta"]))
    # torchvision accepts the archive; the manifest (the real sums) then rejects the files
    with pytest.raises(ChecksumMismatch, match="data_batch_1 has the wrong MD5 sum"):
        fetch("cifar10", tmp_path / "data")
    fake = json.loads(json.dumps(load_manifest()))
    for item in fake["datasets"]["cifar10"]["files"]:
        item["md5"] = md5[item["filename"]]
    monkeypatch.setattr(
        "autograder.data.checksums.dataset_entry", lambda name, manifest=None: fake["datasets"]["cifar10"]
    )
    assert fetch("cifar10", tmp_path / "data") == tmp_path / "data" / "cifar-10-batches-py"
    assert len(cifar_dataset("cifar10", tmp_path / "data", train=True)) == 30


def test_fetch_leaves_a_synthetic_copy_alone(tmp_path):
    write_synth("cifar10", tmp_path, n=20)
    with pytest.raises(DataError, match="synthetic"):
        fetch("cifar10", tmp_path)


def test_synth_command_prints_one_line(tmp_path, capsys):
    assert synth_command("cifar100", str(tmp_path), n=200, seed=0) == 0
    out = capsys.readouterr().out.strip()
    assert "\n" not in out and "CIFAR-100" in out
    assert len(cifar_dataset("cifar100", tmp_path, train=False)) == 100
    assert synth_command("imagenet", str(tmp_path)) == 1
    assert "unknown dataset" in capsys.readouterr().err


def test_fetch_goes_by_default_where_the_grader_looks(tmp_path, monkeypatch, capsys):
    """Without --root: $AUTOGRADER_DATA if set, else the repository's source_data/,
    whatever the working directory (the a6 grader looks in the same places)."""
    from autograder.checks.base import Context
    from autograder.data.manifest import default_root
    from autograder.reference import REPOSITORY
    from autograder.rubrics import a6_cifar100

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(torchvision.datasets.CIFAR100, "url", (tmp_path / "no-such.tar.gz").as_uri())
    monkeypatch.delenv("AUTOGRADER_DATA", raising=False)
    assert fetch_command("cifar100") == 1
    assert f"into {REPOSITORY / 'source_data'} through torchvision" in capsys.readouterr().out
    assert default_root() == str(REPOSITORY / "source_data")
    monkeypatch.setenv("AUTOGRADER_DATA", str(tmp_path / "shared"))
    with pytest.raises(DownloadFailed, match=f"into {tmp_path / 'shared'}"):
        fetch("cifar100")
    assert not (tmp_path / "source_data").exists()
    (tmp_path / "shared" / "cifar-100-python").mkdir(parents=True, exist_ok=True)  # where fetch put it
    assert a6_cifar100.data_root(Context(sandbox=None, seed=0)) == tmp_path / "shared"
