"""Where the seniority service finds its data files, in a checkout and in an installed package alike.

`resources/model/`, `resources/training/` and `resources/evaluation/` of the checkout are installed as the
packages `enrichment_platform.seniority.model_files`, `...training_files` and `...evaluation_files`
(pyproject's `[tool.setuptools.package-dir]`), so importlib.resources finds them after `pip install .` and
after `pip install -e .` alike.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

MODEL_FILES_PACKAGE = "enrichment_platform.seniority.model_files"
TRAINING_FILES_PACKAGE = "enrichment_platform.seniority.training_files"
EVALUATION_FILES_PACKAGE = "enrichment_platform.seniority.evaluation_files"


def package_directory(package: str) -> Path:
    """The directory holding a data package's files; the files are read and written as plain files."""
    try:
        directory = files(package)
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"{package} is not installed; reinstall the package (pip install -e . in a checkout) so that "
            "pyproject's package-dir maps it to its resources/ folder"
        ) from error
    if not isinstance(directory, Path):
        raise RuntimeError(
            f"{package} is installed as {directory!r}, not as a directory; install the package unzipped "
            "(pip install) so its data files can be read"
        )
    return directory


MODEL_DIR = package_directory(MODEL_FILES_PACKAGE)
TRAINING_DIR = package_directory(TRAINING_FILES_PACKAGE)


def evaluation_directory() -> Path:
    """resources/evaluation/, resolved on use: serving the model never needs the evaluation titles."""
    return package_directory(EVALUATION_FILES_PACKAGE)
