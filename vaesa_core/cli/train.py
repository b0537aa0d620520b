"""``vaesa train``: train a latent model (VAE and cost predictor) on a data set."""

from __future__ import annotations

import json
from pathlib import Path

import click

from vaesa_core.cli.errors import user_errors
from vaesa_core.latent.checkpoint import save_model
from vaesa_core.latent.dataset import read_dataset
from vaesa_core.latent.network import DECODER_OUTPUTS
from vaesa_core.latent.predictor_fit import PredictorPhaseConfig
from vaesa_core.latent.training import TrainingConfig, train_model
from vaesa_core.space import COST_PARAMETER_NAMES, simba_space

__all__ = ["train_command"]

_DEFAULTS = TrainingConfig()

#: Median reconstruction error (log2 units) above which a trained model is
#: flagged; the shipped model stays below 0.01 on every cost parameter.
_POOR_ERROR_LOG2 = 0.25


def _widths(text: str, option: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of integers.", param_hint=option) from None
    return widths


@click.command("train")
@click.option("--data", "data_file", required=True, type=click.Path(path_type=Path, dir_okay=False), help="Data set from 'vaesa dataset generate' or 'vaesa dataset import'.")
@click.option("--out", "out_file", required=True, type=click.Path(path_type=Path, dir_okay=False), help="Checkpoint to write (.pt).")
@click.option("--latent-dim", type=click.IntRange(min=1), default=_DEFAULTS.latent_dim, show_default=True, help="Latent coordinates.")
@click.option("--beta", type=click.FloatRange(min=0), default=_DEFAULTS.beta, show_default=True, help="Weight of the KL term.")
@click.option("--reconstruction-weight", type=click.FloatRange(min=0), default=_DEFAULTS.reconstruction_weight, show_default=True, help="Weight of the reconstruction term.")
@click.option("--mean-reconstruction-weight", type=click.FloatRange(min=0), default=_DEFAULTS.mean_reconstruction_weight, show_default=True, help="Weight of the reconstruction from the latent mean, relative to the sampled one.")
@click.option("--predictor-weight", type=click.FloatRange(min=0), default=_DEFAULTS.predictor_weight, show_default=True, help="Weight of the predictor term.")
@click.option("--within-layer-weight", type=click.FloatRange(min=0), default=_DEFAULTS.within_layer_weight, show_default=True, help="Weight of the predictor error that reorders designs of one layer, relative to the plain error.")
@click.option("--decoder-output", type=click.Choice(DECODER_OUTPUTS), default=_DEFAULTS.decoder_output, show_default=True, help="How the decoder bounds designs: a linear output clipped to the box, or a sigmoid.")
@click.option("--epochs", type=click.IntRange(min=1), default=_DEFAULTS.epochs, show_default=True, help="Maximum epochs (early stopping may end sooner).")
@click.option("--patience", type=click.IntRange(min=1), default=_DEFAULTS.patience, show_default=True, help="Epochs without validation improvement before the joint phase stops.")
@click.option("--batch-designs", type=click.IntRange(min=1), default=_DEFAULTS.batch_designs, show_default=True, help="Designs per batch, each with all its layers.")
@click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True), default=_DEFAULTS.learning_rate, show_default=True, help="Adam step size.")
@click.option("--vae-hidden", default=",".join(map(str, _DEFAULTS.vae_hidden)), show_default=True, help="Encoder hidden widths, comma-separated (the decoder mirrors them).")
@click.option("--predictor-hidden", default=",".join(map(str, _DEFAULTS.predictor_hidden)), show_default=True, help="Predictor hidden widths, comma-separated.")
@click.option("--max-time", "max_time_s", type=click.FloatRange(min=0, min_open=True), default=None, help="Stop the joint phase after this many seconds.")
@click.option("--predictor-steps", type=click.IntRange(min=0), default=_DEFAULTS.predictor_steps, show_default=True, help="Maximum steps of the second phase, which refits the predictor alone on the frozen encoder (0 skips it). A step is one batch of --batch-designs designs. The validation error is checked every "
              f"{PredictorPhaseConfig.check_every} steps, the best check is kept, and the phase stops after "
              f"{_DEFAULTS.predictor_patience} checks without improvement.")
@click.option("--predictor-learning-rate", type=click.FloatRange(min=0, min_open=True), default=_DEFAULTS.predictor_learning_rate, show_default=True, help="Adam step size of the predictor phase.")
@click.option("--predictor-layer-noise", type=click.FloatRange(min=0), default=_DEFAULTS.predictor_layer_noise, show_default=True, help="Standard deviation of the noise added to the layer features in the predictor phase (z-score units); it keeps the predictor general across layer shapes.")
@click.option("--predictor-max-time", "predictor_max_time_s", type=click.FloatRange(min=0, min_open=True), default=None, help="Stop the predictor phase after this many seconds.")
@click.option("--seed", type=int, default=_DEFAULTS.seed, show_default=True, help="Seed of the split, initialisation and batch order.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Torch CPU threads (default: torch's choice).")
@click.option("--report", "report_file", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Also write the training report (with the loss history) as JSON.")
def train_command(
    data_file: Path,
    out_file: Path,
    latent_dim: int,
    beta: float,
    reconstruction_weight: float,
    mean_reconstruction_weight: float,
    predictor_weight: float,
    within_layer_weight: float,
    decoder_output: str,
    epochs: int,
    patience: int,
    batch_designs: int,
    learning_rate: float,
    vae_hidden: str,
    predictor_hidden: str,
    max_time_s: float | None,
    predictor_steps: int,
    predictor_learning_rate: float,
    predictor_layer_noise: float,
    predictor_max_time_s: float | None,
    seed: int,
    threads: int | None,
    report_file: Path | None,
) -> None:
    """Train the VAE and its latency/energy predictor jointly, refit the predictor, and save a checkpoint."""
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    with user_errors():
        config = TrainingConfig(
            latent_dim=latent_dim,
            vae_hidden=_widths(vae_hidden, "--vae-hidden"),
            predictor_hidden=_widths(predictor_hidden, "--predictor-hidden"),
            beta=beta,
            reconstruction_weight=reconstruction_weight,
            mean_reconstruction_weight=mean_reconstruction_weight,
            predictor_weight=predictor_weight,
            within_layer_weight=within_layer_weight,
            decoder_output=decoder_output,
            epochs=epochs,
            patience=patience,
            batch_designs=batch_designs,
            learning_rate=learning_rate,
            max_time_s=max_time_s,
            predictor_steps=predictor_steps,
            predictor_learning_rate=predictor_learning_rate,
            predictor_layer_noise=predictor_layer_noise,
            predictor_max_time_s=predictor_max_time_s,
            seed=seed,
        )
        design_space = simba_space()
        for flag, path in (("--out", out_file), ("--report", report_file)):
            # Created before training, so that a bad path does not cost the trained model.
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise click.UsageError(f"Cannot create the folder of {flag} {path}: {error.strerror}. Choose another path.") from None
        try:
            frame = read_dataset(data_file, design_space=design_space)
        except FileNotFoundError as error:
            raise click.UsageError(str(error)) from None
        model, report = train_model(frame, design_space, config, progress=True)
        model.metadata["data"] = data_file.name
        save_model(model, out_file)
    for line in report.summary_lines():
        click.echo(line)

    poor = {
        name: report.median_error_log2[name]
        for name in COST_PARAMETER_NAMES
        if report.median_error_log2[name] > _POOR_ERROR_LOG2
    }
    if poor:
        worst = ", ".join(f"{name} {error:.2f}" for name, error in poor.items())
        click.echo(
            f"Warning: the model reconstructs held-out designs poorly (median error in log2 units: {worst}; "
            f"above {_POOR_ERROR_LOG2}). Searches on its latent space will miss designs. Train longer "
            "(--epochs, --patience, --max-time) or on more designs.",
            err=True,
        )
    if report_file is not None:
        report_file.write_text(json.dumps(report.to_dict(), indent=2))
    click.echo(f"Saved {out_file}")
