"""Safe extraction of a zipped submission and finding the folder that holds its files.

Zip members are checked before anything is written: absolute names, names
that climb out with "..", symbolic links, encrypted members, too many members
and members larger than the limits are refused (zip slip and zip bombs).
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

IGNORED_NAMES = {"__MACOSX", "__pycache__", ".git"}


class UnsafeArchive(Exception):
    """The zip cannot be unpacked safely or at all; the message says why in one line."""


@dataclass(frozen=True)
class ZipLimits:
    """members: most entries; member_mb: largest single file; total_mb: all files together."""

    members: int = 10_000
    member_mb: int = 256
    total_mb: int = 512


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The relative path a member would be written to, or None to skip it."""
    name = info.filename.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or (path.parts and ":" in path.parts[0]):
        raise UnsafeArchive(f"the zip holds an absolute path ({info.filename})")
    if ".." in path.parts:
        raise UnsafeArchive(f"the zip holds a path that leaves its folder ({info.filename})")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeArchive(f"the zip holds a symbolic link ({info.filename})")
    if info.flag_bits & 0x1:
        raise UnsafeArchive(f"the zip holds an encrypted file ({info.filename})")
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts or IGNORED_NAMES & set(parts):
        return None
    return PurePosixPath(*parts)


def extract_zip(archive: str | Path, destination: str | Path, limits: ZipLimits = ZipLimits()) -> Path:
    """Unpack ``archive`` into the (new or empty) directory ``destination``.

    Every member is vetted before the first byte is written. Sizes are the
    ones the zip declares; zipfile stops decompressing a member at its
    declared size and fails its CRC check when more data follows, so a
    header that understates a size is refused too. Raises UnsafeArchive when
    the file is not a readable zip or breaks a rule.
    """
    destination = Path(destination)
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            if len(members) > limits.members:
                raise UnsafeArchive(f"the zip holds {len(members)} entries (at most {limits.members})")
            planned = [(info, path) for info in members if (path := _member_path(info)) is not None]
            _check_sizes([info for info, _ in planned if not info.is_dir()], limits)
            for info, relative in planned:
                target = destination / relative
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(info) as source, open(target, "xb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise UnsafeArchive(f"not a readable zip file ({exc})") from None
    except FileExistsError as exc:
        raise UnsafeArchive(f"the zip holds {Path(exc.filename).name} twice") from None
    except OSError as exc:
        raise UnsafeArchive(f"the zip could not be unpacked ({exc.strerror}: {exc.filename})") from None
    return destination


def _check_sizes(files: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    for info in files:
        if info.file_size > limits.member_mb << 20:
            raise UnsafeArchive(f"{info.filename} unpacks to more than {limits.member_mb} MB")
    if sum(info.file_size for info in files) > limits.total_mb << 20:
        raise UnsafeArchive(f"the zip unpacks to more than {limits.total_mb} MB")


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name not in IGNORED_NAMES


def submission_root(directory: str | Path, max_depth: int = 3) -> Path:
    """The folder that holds the submission's files.

    Archives often wrap everything in one folder ("alice_a1/layers.py"): while
    a directory's only visible entry is a directory, descend into it (hidden
    entries such as .DS_Store and __MACOSX do not count).
    """
    root = Path(directory)
    for _ in range(max_depth):
        entries = [p for p in root.iterdir() if _visible(p)]
        if len(entries) != 1 or not entries[0].is_dir() or entries[0].is_symlink():
            break
        root = entries[0]
    return root
