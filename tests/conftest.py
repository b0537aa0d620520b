"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_root() -> Path:
    # The reference data lives in a folder named "shared" beside the checkout;
    # VAESA_SHARED_DIR points elsewhere.
    override = os.environ.get("VAESA_SHARED_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Return the reference folder (golden Timeloop cases, VAESA data); skip if absent."""
    root = _shared_root()
    if not root.is_dir():
        pytest.skip(f"reference folder {root} not found; set VAESA_SHARED_DIR to run data checks")
    return root


@pytest.fixture(scope="session")
def vaesa_data_dir(shared_dir: Path) -> Path:
    """Return the published VAESA Timeloop+CoSA data folder; skip if absent."""
    path = shared_dir / "data" / "vaesa-timeloop"
    if not path.is_dir():
        pytest.skip(f"VAESA data folder {path} not found")
    return path


@pytest.fixture(scope="session")
def golden_dir(shared_dir: Path) -> Path:
    """Return the folder of golden timeloop-model cases; skip if absent."""
    path = shared_dir / "reference" / "golden-timeloop"
    if not path.is_dir():
        pytest.skip(f"golden Timeloop cases {path} not found")
    return path
