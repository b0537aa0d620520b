"""``vaesa evaluate``: score one or many designs on a layer or a workload."""

from __future__ import annotations

import csv
import logging
import math
from pathlib import Path

import click

from vaesa_core.cli.components import build_evaluator
from vaesa_core.cli.errors import user_errors
from vaesa_core.cli.mapping_detail import architecture_builder, export_points, print_detail, score_mapping_file
from vaesa_core.cli.options import parse_key_values
from vaesa_core.errors import InvalidConfigError
from vaesa_core.evaluation import evaluate_network
from vaesa_core.plugins import get_registry
from vaesa_core.space import PARAMETER_NAMES, DesignSpace, HardwareConfig, simba_space
from vaesa_core.workloads import Network, parse_layer_spec, resolve_workload

RESULT_COLUMNS = ("cycles", "energy_pj", "edp", "valid", "reason")

_logger = logging.getLogger(__name__)


def read_configs_csv(path: Path, design_space: DesignSpace) -> list[HardwareConfig]:
    """Read designs from a CSV with one column per design parameter.

    Spaces around header names and cells and a leading byte-order mark (as
    spreadsheet programs write) are ignored. Columns other than the design
    parameters are skipped with a warning.

    Raises:
        InvalidConfigError: A column is missing or repeated, or a value is
            illegal; the message names the file, the row and the field.
    """
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise InvalidConfigError(f"Cannot read designs file {str(path)!r}: {error.strerror}.") from None
    with handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        missing = [name for name in PARAMETER_NAMES if name not in header]
        if missing:
            raise InvalidConfigError(
                f"{path}: missing column(s) {', '.join(missing)}; the header must name every design "
                f"parameter ({', '.join(PARAMETER_NAMES)})."
            )
        repeated = [name for name in PARAMETER_NAMES if header.count(name) > 1]
        if repeated:
            raise InvalidConfigError(f"{path}: column(s) {', '.join(repeated)} appear more than once. Keep one of each.")
        extra = [name for name in header if name not in PARAMETER_NAMES]
        if extra:
            _logger.warning("%s: ignoring column(s) %s because only the design parameters are read.", path, ", ".join(map(repr, extra)))

        columns = {name: header.index(name) for name in PARAMETER_NAMES}
        configs = []
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            values = {name: row[column].strip() if column < len(row) else "" for name, column in columns.items()}
            try:
                configs.append(design_space.validate(values))
            except InvalidConfigError as error:
                raise InvalidConfigError(f"{path}, line {row_number}: {error}") from None
    if not configs:
        raise InvalidConfigError(f"{path} holds no designs.")
    return configs


def _format_metric(value: object) -> str:
    if isinstance(value, float):
        return "inf" if math.isinf(value) else f"{value:.6g}"
    return str(value)


def _whole_cycles(cycles: float) -> float | int:
    """Return ``cycles`` as an int when it is a whole number (the cost model's counts), else unchanged."""
    return int(cycles) if math.isfinite(cycles) and cycles.is_integer() else cycles


@click.command("evaluate")
@click.option("--config", "config_pairs", multiple=True, metavar="KEY=VALUE[,KEY=VALUE]", help="One design as parameter=value pairs (all six parameters).")
@click.option("--configs", "configs_file", type=click.Path(path_type=Path, dir_okay=False), help="CSV of designs, one column per design parameter.")
@click.option("--layer", "layer_spec", metavar="R=..,S=..,P=..,Q=..,C=..,K=..,N=..,stride=..", help="A single layer.")
@click.option("--workload", help="Built-in workload name or a .yaml/.json network file (network totals per design).")
@click.option("--evaluator", "evaluator_name", default="analytical", show_default=True, help="Evaluator plugin name.")
@click.option("--mapper", default=None, help="Mapper for the analytical evaluator (default: its fast mapper).")
@click.option("--aggregation", type=click.Choice(["weighted", "unique"]), default="weighted", show_default=True, help="Network sums: weighted by repeat counts or unique layers once.")
@click.option("--evaluator-option", "evaluator_options", multiple=True, metavar="KEY=VALUE", help="Evaluator setting; repeatable.")
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), help="Write a CSV: the six design parameters plus cycles, energy_pj, edp, valid, reason (its folder is created).")
@click.option("--mapping", "mapping_file", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="Score this Timeloop v0.2 mapping YAML for --layer with the analytical cost model instead of running a mapper.")
@click.option("--detail", is_flag=True, help="Print each design's and layer's mapping with per-level, per-datatype reads, fills, updates and energy in pJ.")
@click.option("--export-timeloop", "export_dir", type=click.Path(path_type=Path, file_okay=False), help="Write Timeloop arch.yaml, prob.yaml and map.yaml of each evaluated design and layer under this folder.")
def evaluate_command(
    config_pairs: tuple[str, ...],
    configs_file: Path | None,
    layer_spec: str | None,
    workload: str | None,
    evaluator_name: str,
    mapper: str | None,
    aggregation: str,
    evaluator_options: tuple[str, ...],
    out_file: Path | None,
    mapping_file: Path | None,
    detail: bool,
    export_dir: Path | None,
) -> None:
    """Evaluate designs on a layer or a workload and print or save the costs."""
    if bool(config_pairs) == bool(configs_file):
        raise click.UsageError("Give exactly one of --config KEY=VALUE,... or --configs FILE.csv.")
    if bool(layer_spec) == bool(workload):
        raise click.UsageError("Give exactly one of --layer R=..,S=..,... or --workload NAME|FILE.")
    if mapping_file is not None and layer_spec is None:
        raise click.UsageError("--mapping scores one layer: give --layer R=..,S=..,... instead of --workload.")
    if out_file is not None:
        # Checked before any work, so that a bad path does not cost the results.
        try:
            out_file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise click.UsageError(f"Cannot create the folder of --out {out_file}: {error.strerror}. Choose another path.") from None

    with user_errors():
        design_space = simba_space()
        if configs_file is not None:
            configs = read_configs_csv(configs_file, design_space)
        else:
            configs = [design_space.validate(parse_key_values(config_pairs, "--config"))]
        if layer_spec is not None:
            layer = parse_layer_spec(layer_spec)
            network = Network("layer", (layer,), (1,))
        else:
            network = resolve_workload(workload)  # type: ignore[arg-type]
        if mapping_file is not None:
            costs, imported = score_mapping_file(mapping_file, configs, network.layers[0])
            architecture_of = architecture_builder(imported)
            source = f"mapping {mapping_file} (analytical cost model)"
        else:
            registry = get_registry()
            evaluator = build_evaluator(
                registry, evaluator_name, design_space=design_space, mapper=mapper,
                options=parse_key_values(evaluator_options, "--evaluator-option"),
            )
            try:
                costs = evaluate_network(evaluator, configs, network, aggregation=aggregation)
            finally:
                evaluator.close()
            source = f"evaluator {evaluator.name}{' (estimates)' if evaluator.estimate else ''}"
            architecture_of = architecture_builder()

    rows = []
    for config, cost in zip(configs, costs):
        metrics = cost.metrics()
        row = {**config.as_dict(), **{column: metrics[column] for column in RESULT_COLUMNS}}
        row["cycles"] = _whole_cycles(cost.cycles)
        row["energy_pj"] = cost.energy_pj
        row["edp"] = cost.edp
        rows.append(row)

    if out_file is None or len(rows) <= 20:
        click.echo(f"{network.name}: {len(network.layers)} layer(s), {source}")
        click.echo(",".join([*PARAMETER_NAMES, *RESULT_COLUMNS]))
        for row in rows:
            click.echo(",".join(_format_metric(row[column]) for column in (*PARAMETER_NAMES, *RESULT_COLUMNS)))
    if out_file is not None:
        try:
            with out_file.open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=[*PARAMETER_NAMES, *RESULT_COLUMNS])
                writer.writeheader()
                writer.writerows(rows)
        except OSError as error:
            raise click.ClickException(f"Cannot write --out {out_file}: {error.strerror}.") from None
        click.echo(f"Wrote {len(rows)} row(s) to {out_file}")
    with user_errors():
        if detail:
            print_detail(configs, network, costs, architecture_of=architecture_of)
        if export_dir is not None:
            written = export_points(export_dir, configs, network, costs, architecture_of=architecture_of)
            click.echo(f"Wrote Timeloop inputs of {written} design-layer pair(s) under {export_dir}")
