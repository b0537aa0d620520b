"""Import of the published VAESA per-layer files."""

from __future__ import annotations

import gzip
import shutil

import pandas as pd
import pytest

from vaesa_core.latent.dataset import read_dataset
from vaesa_core.latent.importer import import_published_dataset, read_published_file
from vaesa_core.space import simba_space

GRID_FILE = "layers-grid/dataset_11_11_55_55_3_64_1_4_4_1_1.csv.gz"
RANDOM_FILE = "layers-random-s123456/dataset_11_11_55_55_3_64_1_4_4_1_1.csv.gz"


def test_published_file_converts_columns(vaesa_data_dir):
    path = vaesa_data_dir / RANDOM_FILE
    raw = pd.read_csv(path)

    frame = read_published_file(path)

    assert len(frame) == len(raw)
    assert frame["macs"].tolist() == raw["arith_ins"].tolist()
    assert frame["pes"].tolist() == raw["arith_meshX"].tolist()
    assert frame["global_buffer"].tolist() == raw["mem4_ent"].tolist()
    assert frame["cycles"].tolist() == raw["unique_cycle_sum"].astype(float).tolist()
    assert set(frame[["R", "S", "P", "Q", "C", "K", "N", "stride_w", "stride_h"]].drop_duplicates().itertuples(index=False)) == {
        (11, 11, 55, 55, 3, 64, 1, 4, 4)
    }


def test_import_two_folders_and_skip_network_files(vaesa_data_dir, tmp_path):
    source = tmp_path / "source"
    for relative in (GRID_FILE, RANDOM_FILE):
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(vaesa_data_dir / relative, source / relative)
    with gzip.open(source / "dataset_alexnet.csv.gz", "wt") as handle:
        handle.write("name,unique_cycle_sum\n")

    frame = import_published_dataset(source, tmp_path / "data.csv", design_space=simba_space())
    written = read_dataset(tmp_path / "data.csv", design_space=simba_space())

    expected_rows = len(pd.read_csv(source / GRID_FILE)) + len(pd.read_csv(source / RANDOM_FILE))
    assert len(frame) == expected_rows
    assert len(written) == expected_rows
    assert bool(written["valid"].all())


def test_off_lattice_rows_are_dropped(vaesa_data_dir, tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    raw = pd.read_csv(vaesa_data_dir / GRID_FILE).head(10)
    raw.loc[0, "mem4_ent"] = 458752
    raw.to_csv(source / "dataset_11_11_55_55_3_64_1_4_4_1_1.csv", index=False)

    frame = import_published_dataset(source, tmp_path / "data.csv", design_space=simba_space())

    assert len(frame) == 9


def test_empty_source_is_rejected(tmp_path):
    with pytest.raises(FileNotFoundError, match="No per-layer files"):
        import_published_dataset(tmp_path, tmp_path / "data.csv", design_space=simba_space())


def test_file_without_layer_key_is_rejected(tmp_path):
    path = tmp_path / "dataset_alexnet.csv"
    path.write_text("name\n")

    with pytest.raises(ValueError, match="not a per-layer file"):
        read_published_file(path)
