"""Regenerate docs/benchmarks.md from the JSON records in benchmarks/results.

Every number on that page comes from a JSON file written by a suite; the page
is never edited by hand. A suite whose record is missing is listed as not run.

Usage::

    python benchmarks/make_docs.py [--results benchmarks/results] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common.environment import REPO_ROOT
from benchmarks.common.records import format_number, markdown_table

#: Suites run by other scripts, with the question each answers.
OTHER_SUITES = {
    "evaluator_speed": (
        "Speed of the analytical evaluator (default mapper + cost model) and of the cosa mapper. Pairs per second "
        "are (design, layer) pairs evaluated per CPU second of the benchmark process, median over the layers "
        "(cold: the fastest of `repeats` calls with a fresh mapper per layer); higher is faster"
    ),
    "evaluator_fidelity": (
        "Fidelity of the analytical evaluator against the published Timeloop + CoSA data. Every ratio is this "
        "project's value / the data set's value, so below 1 means our evaluator found a lower (better) cycle "
        "count, energy or EDP than the published row. `*_within_*` and `edp_ratio_le_1_02` are shares of rows. "
        "`median_spearman` is the rank correlation across designs per layer, median over layers. "
        "`median_spearman_without_poor_cosa_rows` leaves out the rows where the data's EDP is at least 1.5 times ours "
        "(CoSA's poor solutions, which `poor_cosa_rows` counts as a share of rows)"
    ),
    "costmodel_speed": "Microseconds per mapping of the vectorised cost model (CPU time, median over layers; lower is faster)",
    "latent_quality": "Reconstruction, predictor and smoothness of the latent model",
    "optimizer_overhead": "Time per ask and tell of each optimizer",
}

METRIC_DEFINITIONS = """\
* **Best EDP**: the lowest EDP (cycles x pJ) among the designs a run evaluated
  within the budget B. Network EDP is total cycles x total energy summed over
  the network's layers with the run's aggregation.
* **Search performance (SP)**, per seed s: SP_s = best EDP of random search
  (seed s) / best EDP of the method (seed s), both after B evaluations. SP > 1
  means the method found a better design than random search with the same
  budget. The table shows the mean and standard deviation over seeds;
  the JSON also holds SP of the means (mean best EDP of random / mean best EDP
  of the method).
* **Sample efficiency (SE)**, per seed s: n_r is the number of evaluations
  random search (seed s) needs to reach its own final best; n_m is the
  number the method (seed s) needs to reach a design at least that good.
  SE_s = n_r / n_m. When the method never reaches random's best within B,
  n_m is censored at B, so SE_s = n_r / B is an upper bound of the true value;
  the column "SE censored" counts such seeds.
"""


#: Display order of networks and methods (JSON records store them sorted by name).
NETWORK_ORDER = ("resnet50", "alexnet", "resnext50", "deepbench")
METHOD_ORDER = ("random", "bo", "vae_bo", "tpe", "vae_tpe", "cma", "vae_cma")


def _ordered(mapping: dict[str, Any], order: tuple[str, ...]) -> list[tuple[str, Any]]:
    """Return the items of ``mapping`` with the keys in ``order`` first, then the rest by name."""
    known = [(key, mapping[key]) for key in order if key in mapping]
    return known + sorted((key, value) for key, value in mapping.items() if key not in order)


def _load(results_dir: Path, name: str) -> dict[str, Any] | None:
    path = results_dir / f"{name}.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        return {"_error": f"{path.name} is not valid JSON: {error}"}


def _header(record: dict[str, Any]) -> str:
    """Return the command, date and machine lines of a record (whatever of them it holds)."""
    environment = record.get("environment") or {}
    command = environment.get("command") or record.get("command")
    date = environment.get("date_utc") or record.get("date_utc") or record.get("date")
    machine = environment.get("machine") or record.get("machine")
    lines = [f"* Command: `{command}`" if command else "* Command: not recorded in the JSON file"]
    lines.append(f"* Date: {date}" if date else "* Date: not recorded in the JSON file")
    if isinstance(machine, dict):
        memory = machine.get("memory_gib")
        lines.append(
            f"* Machine: {machine.get('cpu_model', 'unknown CPU')}, {machine.get('logical_cores', '?')} logical cores, "
            f"{memory if memory is not None else '?'} GiB RAM, Python {machine.get('python', '?')}"
        )
    elif machine:
        lines.append(f"* Machine: {machine}")
    else:
        lines.append("* Machine: not recorded in the JSON file")
    load = environment.get("load_average_1_5_15_min")
    if load:
        lines.append(f"* Load average when the record was written (1, 5, 15 min): {', '.join(map(str, load))}")
    if environment.get("git_commit"):
        lines.append(f"* Code: commit {environment['git_commit']}")
    # Records merged from several invocations keep each part's commit, date and load under extra keys.
    standard = {"command", "date_utc", "machine", "load_average_1_5_15_min", "git_commit"}
    for key, value in environment.items():
        if key not in standard:
            text = ", ".join(map(str, value)) if isinstance(value, list) else value
            lines.append(f"* {key}: {text}")
    return "\n".join(lines) + "\n"


def _latent_model_line(settings: dict[str, Any]) -> str:
    """Return the line naming the latent model a record used, and whether it is the model shipped now."""
    used = settings.get("latent_model_sha256")
    if not used:
        return ""
    from benchmarks.common.runs import space_fingerprint

    shipped = space_fingerprint("latent")
    line = f"* Latent model: SHA-256 {used[:16]}..."
    if shipped and shipped != used:
        line += (
            f" This is not the model shipped now (SHA-256 {shipped[:16]}...); "
            "rerun the suite to measure the shipped model."
        )
    return line + "\n"


def _mean_std(spread: dict[str, Any] | None) -> str:
    if not spread or spread.get("mean") is None:
        return "n/a"
    return f"{format_number(spread['mean'])} ± {format_number(spread.get('std') or 0.0)}"


def _image(path_text: str, out_path: Path) -> str:
    path = Path(path_text)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return os.path.relpath(path, out_path.parent)


# -- suite 1 ------------------------------------------------------------------


def _verdict(record: dict[str, Any]) -> list[str]:
    """Return plain statements of how vae_bo compares with random search and with the VAESA paper's figures."""
    lines = []
    networks = record.get("networks", {})
    se_above, se_known, sp_below = [], [], []
    for network, entry in _ordered(networks, NETWORK_ORDER):
        versus = entry["methods"].get("vae_bo", {}).get("vs_random")
        if not versus:
            continue
        se = versus["se"]["mean"]
        if se is not None:
            se_known.append(network)
            if se > 1.0:
                se_above.append(network)
        for method, data in _ordered(entry["methods"], METHOD_ORDER):
            sp = (data.get("vs_random") or {}).get("sp", {}).get("mean")
            if sp is not None and sp < 1.0:
                sp_below.append(f"{method} on {network} (SP {sp:.4f})")

    if not se_known:
        return ["* vae_bo has no finished runs paired with random search yet, so no verdict is possible."]
    geo_above = [
        network for network, entry in networks.items()
        if ((entry["methods"].get("vae_bo", {}).get("vs_random") or {}).get("se_geomean") or 0.0) > 1.0
    ]
    lines.append(
        f"* vae_bo's mean SE is above 1 on {len(se_above)} of {len(se_known)} networks with results"
        f" ({', '.join(se_above) or 'none'}); its geometric-mean SE is above 1 on {len(geo_above)}"
        f" ({', '.join(geo_above) or 'none'}). The paper reports SE > 1 on all four."
    )
    if len(se_above) >= 3:
        lines.append("* This reproduces the paper's sample-efficiency claim in kind (SE above 1 on at least 3 of 4 networks).")
    elif len(se_above) + (4 - len(se_known)) < 3:
        lines.append(
            "* **This does not reproduce the paper's sample-efficiency claim** (SE above 1 on at least 3 of 4 networks)."
        )
    else:
        lines.append(
            f"* Only {len(se_known)} of 4 networks have vae_bo results, so the paper's claim (SE above 1 on at least "
            "3 of 4 networks) is not yet decided by these runs."
        )
    if sp_below:
        lines.append("* Mean SP is below 1.0 (worse than random search at the same budget) for: " + "; ".join(sp_below) + ".")
    else:
        lines.append("* No method has a mean SP below 1.0 on any network with results.")
    lines.append("* The measurements behind these statements, per network (medians over the paired seeds):")
    lines.append("")
    lines.append(_evidence_table(networks))
    lines.append("")
    finished, planned = record.get("runs_finished"), record.get("runs_planned")
    if finished is not None and planned and finished < planned:
        lines.append(f"* Only {finished} of {planned} planned runs finished; the numbers above cover those runs only.")
    return lines


def _median(values: list[float]) -> float | None:
    finite = sorted(value for value in values if value is not None and math.isfinite(value))
    if not finite:
        return None
    middle = len(finite) // 2
    return finite[middle] if len(finite) % 2 else (finite[middle - 1] + finite[middle]) / 2


def _evidence_table(networks: dict[str, Any]) -> str:
    """Return a table of what SE and SP of vae_bo rest on: evaluations to reach random's best and best EDPs."""
    rows = []
    for network, entry in _ordered(networks, NETWORK_ORDER):
        versus = entry["methods"].get("vae_bo", {}).get("vs_random")
        if not versus:
            continue
        per_seed = versus["per_seed"]
        best_overall = min(
            (value for data in entry["methods"].values() for value in data["best_edp_per_seed"].values() if value is not None),
            default=None,
        )
        random_best = _median([row["random_best_edp"] for row in per_seed])
        vae_best = _median([row["method_best_edp"] for row in per_seed])
        rows.append([
            network,
            len(per_seed),
            _median([row["random_evaluations"] for row in per_seed]),
            _median([row["method_evaluations"] for row in per_seed]),
            f"{versus['se_censored']}/{len(per_seed)}",
            random_best,
            vae_best,
            (random_best / best_overall) if random_best and best_overall else None,
        ])
    return markdown_table(
        ["network", "seeds", "random: evaluations to its best", "vae_bo: evaluations to reach it", "vae_bo never reached it",
         "random best EDP", "vae_bo best EDP", "random best / best of any run"],
        rows,
    )


def _search_section(record: dict[str, Any] | None, out_path: Path) -> str:
    title = "## 1. Search comparison (VAESA Table: random, BO, VAE-BO, plus TPE and CMA-ES)\n\n"
    if record is None:
        return title + "Not run yet: `benchmarks/results/search_comparison.json` is missing.\n\n"
    if "_error" in record:
        return title + record["_error"] + "\n\n"
    settings = record["settings"]
    text = title + _header(record)
    text += (
        f"* Settings: budget {settings['budget_evaluations']} evaluations per run, seeds {settings['seeds']}, "
        f"aggregation `{settings['aggregation']}` (each unique layer summed once, as the published VAESA numbers are), "
        f"evaluator `{settings['evaluator']}`.\n"
        f"* Runs finished: {record['runs_finished']} of {record['runs_planned']}.\n"
    )
    networks_in_order = [name for name, _ in _ordered(dict.fromkeys(settings["networks"]), NETWORK_ORDER)]
    methods_in_order = [name for name, _ in _ordered(settings["methods"], METHOD_ORDER)]
    missing = [
        f"{network}/{method}"
        for network in networks_in_order
        for method in methods_in_order
        if method not in record["networks"].get(network, {}).get("methods", {})
    ]
    if missing:
        text += f"* Network/method pairs without a finished run: {', '.join(missing)}.\n"
    if record.get("report_only"):
        text += "* The record was built from the finished runs (`--report-only`) while or after the suite ran.\n"
    if record.get("code_commits"):
        text += f"* Runs made with the code of commit(s): {', '.join(record['code_commits'])}.\n"
    text += _latent_model_line(settings)
    if record.get("skipped_methods"):
        text += "* Methods not run: " + "; ".join(f"{m} ({why})" for m, why in record["skipped_methods"].items()) + "\n"
    if record.get("failures"):
        text += f"* Failed runs: {len(record['failures'])} (errors are listed in the JSON file).\n"
    time_s = record.get("search_time_s") or {}
    if time_s:
        text += (
            f"* Summed time inside the runs: evaluation {time_s.get('evaluation_s', 0) / 3600:.2f} h, "
            f"optimizer {time_s.get('optimizer_s', 0) / 3600:.2f} h (wall time summed over runs; runs in parallel workers slow each other).\n"
        )
    text += "\n### Metrics\n\n" + METRIC_DEFINITIONS + "\n"

    text += "### Where we stand\n\n" + "\n".join(_verdict(record)) + "\n\n"

    paper = record.get("paper_vae_bo", {})
    rows = []
    for network, entry in _ordered(record["networks"], NETWORK_ORDER):
        versus = entry["methods"].get("vae_bo", {}).get("vs_random")
        if not versus:
            continue
        rows.append([
            network, len(versus["seeds"]),
            _mean_std(versus["se"]), versus.get("se_geomean"), f"{versus['se_censored']}/{len(versus['seeds'])}",
            paper.get(network, {}).get("se"),
            _mean_std(versus["sp"]), paper.get(network, {}).get("sp"),
        ])
    text += "### vae_bo against random search, beside the paper\n\n"
    text += (
        "The paper's figures (VAESA, ISPASS 2022) come from Timeloop with the CoSA mapper; ours come from this "
        "project's evaluator named above, so the EDP landscape differs and the figures are comparable in kind, "
        "not in value. The paper's abstract also reports 6.8x sample efficiency and up to 5 % better designs "
        "overall.\n\n"
    )
    text += markdown_table(
        ["network", "seeds", "SE (ours, mean ± std)", "SE (ours, geomean)", "SE censored", "SE (paper)", "SP (ours)", "SP (paper)"],
        rows,
    ) + "\n\n"

    rows = []
    for network, entry in _ordered(record["networks"], NETWORK_ORDER):
        for method, data in _ordered(entry["methods"], METHOD_ORDER):
            versus = data.get("vs_random") or {}
            rows.append([
                network, method, len(data["seeds"]), _mean_std(data["best_edp"]),
                _mean_std(versus.get("sp")) if versus else "(baseline)",
                _mean_std(versus.get("se")) if versus else "(baseline)",
                f"{versus['se_censored']}/{len(versus['seeds'])}" if versus else "",
            ])
    text += "### All methods\n\n"
    text += markdown_table(["network", "method", "seeds", "best EDP (cycles x pJ)", "SP", "SE", "SE censored"], rows) + "\n\n"
    for network, path in _ordered(record.get("plots") or {}, NETWORK_ORDER):
        text += f"![best EDP so far, {network}]({_image(path, out_path)})\n\n"
    return text


# -- suite 2 ------------------------------------------------------------------


def _gd_section(record: dict[str, Any] | None, out_path: Path) -> str:
    title = "## 2. Gradient descent on the 12 unseen layers\n\n"
    if record is None:
        return title + "Not run yet: `benchmarks/results/gd_unseen.json` is missing.\n\n"
    if "_error" in record:
        return title + record["_error"] + "\n\n"
    settings = record["settings"]
    text = title + _header(record)
    text += (
        f"* Settings: {len(settings['layers'])} layers, seeds {settings['seeds']}, {settings['starts']} starts per space "
        f"and as many random designs, Adam learning rate {settings['lr']} of each coordinate's range, evaluator "
        f"`{settings['evaluator']}`.\n"
        "* Improvement = best EDP of the random designs / best EDP of the descended designs (same number of "
        "evaluated designs); above 1 means gradient descent beat random search. Step 0 is the start distribution.\n"
    )
    text += _latent_model_line(settings)
    if record.get("skipped_spaces"):
        text += "* Spaces not run: " + "; ".join(f"{s} ({why})" for s, why in record["skipped_spaces"].items()) + "\n"
    if record.get("errors"):
        text += f"* Errors: {len(record['errors'])}, for example: {record['errors'][0]['error']}\n"
    text += "\n"
    steps = [str(step) for step in settings["steps"]]
    rows = []
    for space, per_step in record.get("summary", {}).items():
        for step in steps:
            data = per_step.get(step)
            if data:
                rows.append([space, step, data["geomean_over_layers"], f"{data['layers_better_than_random']}/{data['layers']}"])
    text += markdown_table(["space", "steps", "improvement (geomean over layers)", "layers better than random"], rows) + "\n\n"
    spaces = settings["spaces"]
    header = ["layer", "shape"] + [f"{space} @{step}" for space in spaces for step in steps]
    rows = []
    for index, entry in sorted(record["layers"].items(), key=lambda item: int(item[0])):
        row: list[Any] = [index, entry.get("layer") or ""]
        for space in spaces:
            for step in steps:
                row.append(_mean_std(entry["improvement_spread"].get(space, {}).get(step)))
        rows.append(row)
    text += "Per layer (mean ± std over seeds):\n\n" + markdown_table(header, rows) + "\n\n"
    for space, path in (record.get("plots") or {}).items():
        text += f"![gradient descent in the {space} space]({_image(path, out_path)})\n\n"
    return text


# -- suite 4 ------------------------------------------------------------------


def _profile_section(record: dict[str, Any] | None, out_path: Path) -> str:
    title = "## 4. Where the main job's time goes\n\n"
    if record is None:
        return title + "Not run yet: `benchmarks/results/main_job_profile.json` is missing.\n\n"
    if "_error" in record:
        return title + record["_error"] + "\n\n"
    text = title + _header(record)
    settings = record["settings"]
    text += f"* Profiled: `{settings['command']}`, {settings['repetitions']} repetitions.\n"
    text += f"* `vaesa plugins` alone (interpreter start, imports, plugin loading): {_mean_std(record['plugins_command_s'])} s.\n\n"
    parts = record["split_s"]
    wall = parts["wall_s"]["mean"] or math.nan
    rows = []
    for key, label in (("startup_s", "start-up (until the first step)"), ("evaluation_s", "evaluation"),
                       ("optimizer_s", "optimizer (ask + tell)"), ("other_s", "other (trace, decoding, exit)"),
                       ("wall_s", "total wall time")):
        mean = parts[key]["mean"]
        rows.append([label, _mean_std(parts[key]), f"{100 * mean / wall:.1f} %" if mean is not None and wall == wall else "n/a"])
    text += markdown_table(["part", "seconds", "share"], rows) + "\n\n"
    for path in (record.get("plots") or {}).values():
        text += f"![main job time split]({_image(path, out_path)})\n\n"
    return text


# -- other suites ---------------------------------------------------------------


def _flatten(value: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, Any]]:
    """Return ``(dotted key, scalar)`` pairs of a JSON value, skipping long lists and deep nesting."""
    if isinstance(value, dict):
        if depth >= 3:
            return []
        pairs = []
        for key, item in value.items():
            if key in ("environment", "machine", "command", "date", "date_utc"):
                continue
            pairs.extend(_flatten(item, f"{prefix}.{key}" if prefix else str(key), depth + 1))
        return pairs
    if isinstance(value, list):
        if len(value) <= 4 and all(not isinstance(item, (dict, list)) for item in value):
            return [(prefix, ", ".join(format_number(item) for item in value))]
        return []
    return [(prefix, value)]


def _other_section(name: str, question: str, record: dict[str, Any] | None, *, limit: int = 40) -> str:
    title = f"### {name}\n\n{question}.\n\n"
    if record is None:
        return title + f"Not run yet: `benchmarks/results/{name}.json` is missing.\n\n"
    if "_error" in record:
        return title + record["_error"] + "\n\n"
    pairs = _flatten(record)
    text = title + _header(record) + "\n"
    shown = pairs[:limit]
    text += markdown_table(["key", "value"], [[f"`{key}`", value if not isinstance(value, str) else value] for key, value in shown])
    if len(pairs) > limit:
        text += f"\n\n{len(pairs) - limit} more values are in `benchmarks/results/{name}.json`."
    return text + "\n\n"


PEER_TOOLS = """\
Speed of other tools on the same task, for scale. We quote only figures from
a source we could open, and we did not run these tools here.

| tool | time per (design, layer) evaluation | source |
|---|---|---|
| Timeloop (timeloop-mapper + timeloop-model) | no figure found | none opened |
| CoSA (Gurobi MIP) as used for the VAESA data | no absolute time given; its authors report a 90x shorter time-to-solution than the search-based schedulers they compared with | CoSA (Huang et al., ISCA 2021), abstract at https://adept.eecs.berkeley.edu/papers/cosa/ |
| ZigZag | no figure found | none opened |
"""


def build_page(results_dir: Path, out_path: Path) -> str:
    """Return the Markdown of docs/benchmarks.md from the records in ``results_dir``."""
    text = (
        "# Benchmarks\n\n"
        "This page is generated by `python benchmarks/make_docs.py` from the JSON records in "
        "`benchmarks/results/`; do not edit it by hand. Each section names the command, the machine and the date "
        "of its record. Rerun everything with `python benchmarks/run_all.py` (the search comparison takes hours on "
        "two cores; finished runs are cached under `benchmarks/runs/` and skipped), or a smoke version with "
        "`python benchmarks/run_all.py --quick`.\n\n"
    )
    text += _search_section(_load(results_dir, "search_comparison"), out_path)
    text += _gd_section(_load(results_dir, "gd_unseen"), out_path)
    text += "## 3. Evaluator speed and fidelity\n\n"
    for name in ("evaluator_speed", "evaluator_fidelity", "costmodel_speed"):
        text += _other_section(name, OTHER_SUITES[name], _load(results_dir, name))
    text += "### Other tools\n\n" + PEER_TOOLS + "\n"
    text += _profile_section(_load(results_dir, "main_job_profile"), out_path)
    text += "## 5. Other records\n\n"
    for name in ("latent_quality", "optimizer_overhead"):
        text += _other_section(name, OTHER_SUITES[name], _load(results_dir, name))
    return text


def main(argv: list[str] | None = None) -> int:
    """Write docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results", help="Folder of the JSON records.")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md", help="Markdown page to write.")
    args = parser.parse_args(argv)
    page = build_page(args.results, args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page.rstrip() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
