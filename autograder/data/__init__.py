"""Datasets: the manifest, downloads through torchvision, loading, synthetic copies.

- :mod:`manifest` reads source_data/manifest.json;
- :mod:`checksums` verifies files against it;
- :mod:`fetch` downloads through torchvision and verifies;
- :mod:`synth` writes small learnable datasets in torchvision's on-disk formats;
- :mod:`load` opens real or synthetic copies with torchvision's classes;
- :mod:`commands` holds the `autograder data` subcommands.
"""

from autograder.data.errors import (ChecksumMismatch, DataError, DatasetMissing, DownloadFailed,
                                    UnknownDataset)

__all__ = ["ChecksumMismatch", "DataError", "DatasetMissing", "DownloadFailed", "UnknownDataset"]
