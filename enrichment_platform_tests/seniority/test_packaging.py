"""The installed package carries the model service's data: the wheel ships the model, its training data and
vocabulary (from resources/) and every package of enrichment_platform/, found through the package."""

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from enrichment_platform.devstack.synthetic import SYNTHETIC_FILES_PACKAGE
from enrichment_platform.seniority.data_files import (
    EVALUATION_FILES_PACKAGE,
    MODEL_DIR,
    MODEL_FILES_PACKAGE,
    TRAINING_DIR,
    TRAINING_FILES_PACKAGE,
    evaluation_directory,
)
from enrichment_platform.seniority.model import DEFAULT_MODEL_PATH
from enrichment_platform.seniority.training_data import DEFAULT_TRAINING_DATA_PATH

REPO_ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def _package_directories() -> set[str]:
    """Dotted names of every directory under enrichment_platform/ that holds Python or Lua files."""
    root = REPO_ROOT / "enrichment_platform"
    names = set()
    for path in root.rglob("*"):
        if path.suffix in (".py", ".lua") and "__pycache__" not in path.parts:
            names.add(".".join(path.parent.relative_to(REPO_ROOT).parts))
    return names


def test_every_package_directory_is_listed_in_pyproject():
    missing = _package_directories() - set(SETUPTOOLS["packages"])
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"


def test_data_packages_are_the_resources_folders_of_the_checkout():
    assert SETUPTOOLS["package-dir"] == {
        MODEL_FILES_PACKAGE: "resources/model",
        TRAINING_FILES_PACKAGE: "resources/training",
        EVALUATION_FILES_PACKAGE: "resources/evaluation",
        SYNTHETIC_FILES_PACKAGE: "resources/synthetic",
    }
    assert MODEL_DIR == REPO_ROOT / "resources" / "model"
    assert TRAINING_DIR == REPO_ROOT / "resources" / "training"
    assert evaluation_directory() == REPO_ROOT / "resources" / "evaluation"
    assert DEFAULT_MODEL_PATH.is_file() and DEFAULT_TRAINING_DATA_PATH.is_file()


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
    # Built from a copy, so the build leaves nothing in the checkout.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO_ROOT / "enrichment_platform", source / "enrichment_platform", ignore=ignore)
    for folder in SETUPTOOLS["package-dir"].values():
        shutil.copytree(REPO_ROOT / folder, source / folder, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            ".",
        ],
        cwd=source,
        check=True,
        capture_output=True,
    )
    [wheel] = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_ships_the_model_training_data_and_vocabularies(wheel_names):
    shipped = {
        "enrichment_platform/seniority/model_files/seniority_model.joblib",
        "enrichment_platform/seniority/model_files/metrics.json",
        "enrichment_platform/seniority/training_files/seniority_titles.csv",
        "enrichment_platform/seniority/training_files/spec_examples.csv",
        "enrichment_platform/seniority/training_files/families.yaml",
        "enrichment_platform/seniority/training_files/levels.yaml",
        "enrichment_platform/seniority/training_files/posting_noise.yaml",
        "enrichment_platform/seniority/evaluation_files/titles.csv",
        "enrichment_platform/devstack/synthetic_files/companies.yaml",
        "enrichment_platform/devstack/synthetic_files/titles.yaml",
        "enrichment_platform/devstack/synthetic_files/locations.yaml",
    }
    assert shipped <= wheel_names
    assert not any(name.startswith(("resources/", "enrichment_platform_tests/")) for name in wheel_names)


def test_wheel_ships_every_module_and_lua_script(wheel_names):
    sources = {
        path.relative_to(REPO_ROOT).as_posix()
        for path in (REPO_ROOT / "enrichment_platform").rglob("*")
        if path.suffix in (".py", ".pyi", ".lua") and "__pycache__" not in path.parts
    }
    assert sources - wheel_names == set()
