"""Train the VAE and its cost predictor jointly on a data set.

Loss per batch of designs (VAESA, Huang et al., ISPASS 2022, trained end to
end so the predictor shapes the latent space):

    L = w_rec * (L_rec + w_mean * L_rec_mean) + beta * L_KL
        + w_pred * (L_pred + w_within * L_within)

* ``L_rec``: mean squared reconstruction error per design parameter in
  log2 units, ``mean_p((x_hat_p - x_p) * span_p)^2``. Here ``x`` is the
  normalised log2 encoding and ``span_p = log2(high_p / low_p)``. The
  decoder reads a sampled latent point ``z = mu + sigma * eps``.
* ``L_rec_mean``: the same error when the decoder reads ``mu`` itself. The
  latent space decodes means (a search point is a mean, not a sample), and
  a decoder trained on samples alone learns the average of a point's noisy
  neighbourhood, which pulls designs on the edge of the box (the largest
  MAC count) one lattice step inwards.
* ``L_KL``: KL divergence of N(mu, sigma^2) from N(0, I), summed over latent
  coordinates and averaged over designs.
* ``L_pred``: mean squared error of the z-scored ln cycles and ln pJ that the
  predictor computes from ``mu`` and the layer features, over valid pairs.
* ``L_within``: the same error after subtracting, for each layer, its mean
  over the batch's designs, and dividing by the layer's spread (the
  standard deviation of its targets over the training designs). Costs vary
  far more between layers than between designs for one layer (a DRAM-bound
  FC layer varies by 1 % across designs, a convolution by 2x), so
  ``L_pred`` alone tolerates errors that reorder the designs of a layer;
  this term measures each layer's error against its own spread, which is
  what decides the ranking a search relies on.

After the joint phase a second phase re-initialises the predictor and trains
it alone on the frozen encoder's latent means (``predictor_fit``). Trained
jointly only, the predictor ranks held-out designs per layer with a median
Spearman of about 0.91; the refit raises it (``benchmarks/latent_quality.py``
records the figure of the shipped model).

The validation split holds out whole designs (every layer of a held-out
design), so no design is both trained and validated on.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr
from tqdm.auto import tqdm

from vaesa_core.latent.dataset import LAYER_COLUMNS
from vaesa_core.latent.features import LayerFeatureEncoding, TargetScaling
from vaesa_core.latent.model import LatentModel
from vaesa_core.latent.network import LatentNetwork, NetworkShape, check_decoder_output
from vaesa_core.latent.predictor_fit import PredictorPhaseConfig, PredictorPhaseResult, fit_predictor
from vaesa_core.space.design_space import PARAMETER_NAMES, DesignSpace
from vaesa_core.workloads.layer import Layer

__all__ = ["TrainingConfig", "TrainingReport", "PreparedData", "prepare_data", "train_model"]

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingConfig:
    """Settings of one training run.

    Attributes:
        latent_dim: Latent coordinates. The default is 6 because, on
            analytical-evaluator data, 4 coordinates leave about 0.22 log2
            units of reconstruction error per parameter and a median
            per-layer EDP rank correlation of 0.75, against 0.02 and 0.90
            with 6 (``benchmarks/latent_quality.py``).
        vae_hidden: Hidden widths of the encoder (the decoder mirrors them).
        predictor_hidden: Hidden widths of the predictor.
        beta: Weight of the KL term.
        reconstruction_weight: Weight of the reconstruction terms.
        mean_reconstruction_weight: Weight of the reconstruction from the
            latent mean, relative to the sampled one.
        predictor_weight: Weight of the predictor terms.
        within_layer_weight: Weight of the within-layer predictor error,
            relative to the plain one.
        decoder_output: How the decoder bounds designs (see
            ``NetworkShape.decoder_output``).
        epochs: Maximum passes over the training designs.
        batch_designs: Designs per batch (each with all its layers).
        learning_rate: Adam step size.
        unlabelled_designs: Extra designs drawn uniformly over the legal
            lattice for every batch. They enter only the reconstruction
            and KL terms, which need no costs, so the VAE is trained on
            fresh designs at every step.
        validation_fraction: Share of designs held out for validation.
        patience: Epochs without validation improvement before stopping.
        max_time_s: Wall-clock limit of the joint phase in seconds; None
            for no limit.
        predictor_steps: Maximum steps of the predictor-only phase; 0 skips
            it. For the shipped model, 24k steps of 64 designs took 243 s
            on two cores. Its median per-layer Spearman on held-out designs
            is 0.96; the previous model, trained jointly only, had 0.91.
        predictor_learning_rate: Adam step size of the predictor-only phase.
        predictor_layer_noise: Standard deviation of the noise added to the
            layer features in the predictor-only phase (see ``predictor_fit``).
        predictor_patience: Validation checks (one per 1000 steps) without
            improvement before the predictor-only phase stops.
        predictor_max_time_s: Wall-clock limit of the predictor-only phase
            in seconds; None for no limit.
        seed: Seed of the split, initialisation and batch order.
    """

    latent_dim: int = 6
    vae_hidden: tuple[int, ...] = (128, 128, 128)
    predictor_hidden: tuple[int, ...] = (128, 128, 128)
    beta: float = 1e-3
    reconstruction_weight: float = 1.0
    mean_reconstruction_weight: float = 1.0
    predictor_weight: float = 1.0
    within_layer_weight: float = 0.05
    decoder_output: str = "clipped"
    epochs: int = 600
    batch_designs: int = 64
    learning_rate: float = 2e-3
    unlabelled_designs: int = 256
    validation_fraction: float = 0.1
    patience: int = 25
    max_time_s: float | None = None
    predictor_steps: int = 24000
    predictor_learning_rate: float = 2e-3
    predictor_layer_noise: float = 0.15
    predictor_patience: int = 6
    predictor_max_time_s: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("latent_dim", "epochs", "batch_designs", "patience"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainingConfig.{name} must be a positive integer, but got {value!r}.")
        if not isinstance(self.unlabelled_designs, int) or self.unlabelled_designs < 0:
            raise ValueError(
                f"TrainingConfig.unlabelled_designs must be an integer >= 0, but got {self.unlabelled_designs!r}."
            )
        for name in ("beta", "reconstruction_weight", "mean_reconstruction_weight", "predictor_weight", "within_layer_weight"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"TrainingConfig.{name} must be a finite number >= 0, but got {value!r}.")
        if not 0.0 < self.learning_rate:
            raise ValueError(f"TrainingConfig.learning_rate must be positive, but got {self.learning_rate!r}.")
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError(
                f"TrainingConfig.validation_fraction must be in (0, 1), but got {self.validation_fraction!r}."
            )
        check_decoder_output(self.decoder_output, "TrainingConfig")
        self.predictor_phase()
        object.__setattr__(self, "vae_hidden", tuple(int(w) for w in self.vae_hidden))
        object.__setattr__(self, "predictor_hidden", tuple(int(w) for w in self.predictor_hidden))

    def predictor_phase(self) -> PredictorPhaseConfig:
        """Return the settings of the predictor-only phase (validated)."""
        return PredictorPhaseConfig(
            steps=self.predictor_steps,
            batch_designs=self.batch_designs,
            learning_rate=self.predictor_learning_rate,
            layer_noise=self.predictor_layer_noise,
            patience=self.predictor_patience,
            max_time_s=self.predictor_max_time_s,
        )

    def to_dict(self) -> dict[str, object]:
        """Describe the settings as plain data."""
        data = asdict(self)
        data["vae_hidden"] = list(self.vae_hidden)
        data["predictor_hidden"] = list(self.predictor_hidden)
        return data


@dataclass(frozen=True)
class TrainingReport:
    """Measured quality of a trained model on the held-out designs.

    Attributes:
        epochs_run: Epochs of the joint phase completed.
        best_epoch: Epoch whose weights were kept (lowest validation loss).
        wall_time_s: Time of both training phases in seconds.
        train_loss: Final training loss terms (total, rec, rec_mean, kl, pred, within).
        validation_loss: Validation loss terms of the final model, after the
            predictor phase. Its predictor terms (``pred``, ``within``)
            differ from the joint phase's history at ``best_epoch`` because
            that phase re-initialises and refits the predictor.
        exact_reconstruction: Share of held-out designs decoded (mean path,
            snapped) back to exactly the same design.
        median_error_log2: Median absolute reconstruction error per
            parameter in log2 units, after snapping.
        p95_error_log2: 95th percentile of the same errors.
        predictor_mae_ln: Mean absolute error of ln cycles and ln pJ on
            held-out pairs.
        spearman_edp_median: Median over layers of the Spearman correlation
            of predicted and true per-layer EDP on held-out designs.
        train_designs: Designs trained on.
        validation_designs: Designs held out.
        joint_time_s: Time of the joint phase in seconds.
        predictor_phase: What the predictor-only phase did (steps run,
            kept step, time, validation error before and after).
    """

    epochs_run: int
    best_epoch: int
    wall_time_s: float
    train_loss: dict[str, float]
    validation_loss: dict[str, float]
    exact_reconstruction: float
    median_error_log2: dict[str, float]
    p95_error_log2: dict[str, float]
    predictor_mae_ln: dict[str, float]
    spearman_edp_median: float
    train_designs: int
    validation_designs: int
    joint_time_s: float = 0.0
    predictor_phase: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """Describe the report as plain data."""
        return asdict(self)

    def summary_lines(self) -> list[str]:
        """Return a short human-readable summary, one line per fact."""
        errors = ", ".join(f"{name} {value:.3f}" for name, value in self.median_error_log2.items())
        phase = self.predictor_phase
        return [
            f"joint phase: {self.epochs_run} epochs (kept epoch {self.best_epoch}), {self.joint_time_s:.1f} s",
            f"predictor phase: {int(phase.get('steps_run', 0))} steps (kept step {int(phase.get('best_step', 0))}), "
            f"{phase.get('wall_time_s', 0.0):.1f} s",
            f"training time: {self.wall_time_s:.1f} s",
            f"held-out designs: {self.validation_designs} (trained on {self.train_designs})",
            f"exact reconstruction: {self.exact_reconstruction:.1%}",
            f"median reconstruction error (log2 units): {errors}",
            f"predictor MAE (ln units): cycles {self.predictor_mae_ln['cycles']:.4f}, "
            f"energy {self.predictor_mae_ln['energy_pj']:.4f}",
            f"median per-layer Spearman of EDP: {self.spearman_edp_median:.4f}",
        ]


@dataclass
class PreparedData:
    """A data set as dense tensors, one row per distinct design.

    Attributes:
        designs_raw: Raw designs, int64 ``(n, 6)``.
        units: Encoded designs in [0, 1], float32 ``(n, 6)``.
        layers: Distinct layers, in order of the table.
        layer_features: Encoded layers, float32 ``(L, 9)``.
        targets: z-scored (ln cycles, ln pJ), float32 ``(n, L, 2)``; zero where unknown.
        mask: Whether a valid cost is known, bool ``(n, L)``.
        cycles: Raw cycles, float64 ``(n, L)``; NaN where unknown.
        energy_pj: Raw pJ, float64 ``(n, L)``; NaN where unknown.
    """

    designs_raw: np.ndarray
    units: torch.Tensor
    layers: list[Layer]
    layer_features: torch.Tensor
    targets: torch.Tensor
    mask: torch.Tensor
    cycles: np.ndarray
    energy_pj: np.ndarray


def prepare_data(
    frame: pd.DataFrame,
    design_space: DesignSpace,
    *,
    layer_encoding: LayerFeatureEncoding | None = None,
    target_scaling: TargetScaling | None = None,
) -> tuple[PreparedData, LayerFeatureEncoding, TargetScaling]:
    """Turn a data-set table into dense per-design tensors.

    Encodings default to ones fitted on ``frame`` (layer features over its
    distinct layers, targets over its valid rows).

    Raises:
        ValueError: The table has no valid row.
    """
    valid = frame["valid"].to_numpy(dtype=bool) & (frame["cycles"] > 0).to_numpy() & (frame["energy_pj"] > 0).to_numpy()
    if not valid.any():
        raise ValueError("The data set has no valid (design, layer) row to train on.")
    design_codes, design_rows = pd.factorize(pd.MultiIndex.from_frame(frame[list(PARAMETER_NAMES)]))
    layer_codes, layer_rows = pd.factorize(pd.MultiIndex.from_frame(frame[list(LAYER_COLUMNS)]))
    designs_raw = np.array(list(design_rows), dtype=np.int64).reshape(-1, len(PARAMETER_NAMES))
    layers = [Layer(*(int(v) for v in key)) for key in layer_rows]

    if layer_encoding is None:
        layer_encoding = LayerFeatureEncoding.fit(np.stack([layer.features() for layer in layers]))
    if target_scaling is None:
        target_scaling = TargetScaling.fit(frame["cycles"].to_numpy()[valid], frame["energy_pj"].to_numpy()[valid])

    n_designs, n_layers = len(designs_raw), len(layers)
    cycles = np.full((n_designs, n_layers), np.nan)
    energy = np.full((n_designs, n_layers), np.nan)
    cycles[design_codes[valid], layer_codes[valid]] = frame["cycles"].to_numpy()[valid]
    energy[design_codes[valid], layer_codes[valid]] = frame["energy_pj"].to_numpy()[valid]
    mask = np.isfinite(cycles) & np.isfinite(energy)
    scaled = target_scaling.transform(np.where(mask, cycles, 1.0).ravel(), np.where(mask, energy, 1.0).ravel())
    scaled = scaled.reshape(n_designs, n_layers, 2) * mask[..., None]

    data = PreparedData(
        designs_raw=designs_raw,
        units=torch.as_tensor(design_space.encode(designs_raw), dtype=torch.float32),
        layers=layers,
        layer_features=torch.as_tensor(layer_encoding.encode_layers(layers)),
        targets=torch.as_tensor(scaled, dtype=torch.float32),
        mask=torch.as_tensor(mask),
        cycles=cycles,
        energy_pj=energy,
    )
    return data, layer_encoding, target_scaling


def _log2_spans(design_space: DesignSpace) -> torch.Tensor:
    return torch.tensor(
        [max(math.log2(p.high / p.low), 1e-12) for p in design_space.parameters], dtype=torch.float32
    )


def _loss_terms(
    network: LatentNetwork,
    units: torch.Tensor,
    targets: torch.Tensor,
    mask: torch.Tensor,
    layer_features: torch.Tensor,
    spans: torch.Tensor,
    *,
    sample: bool,
    generator: torch.Generator | None = None,
    unlabelled: torch.Tensor | None = None,
    layer_spread: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    n_labelled = units.shape[0]
    if unlabelled is not None:
        units = torch.cat([units, unlabelled])
    mean, log_variance = network.encode(units)
    if sample:
        noise = torch.randn(mean.shape, generator=generator)
        latent = mean + torch.exp(0.5 * log_variance) * noise
    else:
        latent = mean
    reconstruction = (((network.reconstruct(latent) - units) * spans) ** 2).mean()
    mean_reconstruction = (((network.reconstruct(mean) - units) * spans) ** 2).mean() if sample else reconstruction
    kl = (-0.5 * (1 + log_variance - mean**2 - log_variance.exp())).sum(dim=1).mean()

    predicted = network.predict(mean[:n_labelled, None, :], layer_features[None, :, :])
    error = predicted - targets
    weight = mask.to(error.dtype)[..., None]
    pairs = weight.sum().clamp(min=1.0)
    prediction = (error**2 * weight).sum() / pairs / error.shape[-1]

    # Per layer, the mean error over the batch's valid designs; what is left
    # is the part of the error that reorders designs of one layer.
    layer_mean = (error * weight).sum(dim=0, keepdim=True) / weight.sum(dim=0, keepdim=True).clamp(min=1.0)
    deviation = error - layer_mean
    if layer_spread is not None:
        deviation = deviation / layer_spread
    within = (deviation**2 * weight).sum() / pairs / error.shape[-1]
    return {"rec": reconstruction, "rec_mean": mean_reconstruction, "kl": kl, "pred": prediction, "within": within}


def _total(terms: dict[str, torch.Tensor], config: TrainingConfig) -> torch.Tensor:
    return (
        config.reconstruction_weight * (terms["rec"] + config.mean_reconstruction_weight * terms["rec_mean"])
        + config.beta * terms["kl"]
        + config.predictor_weight * (terms["pred"] + config.within_layer_weight * terms["within"])
    )


def _draw_units(design_space: DesignSpace, n: int, rng: np.random.Generator) -> torch.Tensor:
    # Uniform over the legal lattice, as DesignSpace.sample, without building configurations.
    raw = np.stack([rng.choice(parameter.values, size=n) for parameter in design_space.parameters], axis=1)
    return torch.as_tensor(design_space.encode(raw), dtype=torch.float32)


def _split_designs(n_designs: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(n_designs)
    n_validation = max(1, int(round(fraction * n_designs)))
    if n_validation >= n_designs:
        raise ValueError(f"The data set has {n_designs} design(s); at least 2 are needed for a validation split.")
    return np.sort(order[n_validation:]), np.sort(order[:n_validation])


def _layer_spread(data: PreparedData, index: np.ndarray) -> torch.Tensor:
    """Return each layer's standard deviation of z-scored targets over designs ``index``, ``(L, 2)``.

    A floor of 1e-3 (0.1 % of the spread of all costs) keeps layers whose
    cost never changes, such as the cycles of a DRAM-bound layer, from
    dominating the loss.
    """
    targets = data.targets[index]
    weight = data.mask[index].to(targets.dtype)[..., None]
    count = weight.sum(dim=0).clamp(min=1.0)
    mean = (targets * weight).sum(dim=0) / count
    variance = (((targets - mean) ** 2) * weight).sum(dim=0) / count
    return variance.sqrt().clamp(min=1e-3)


def _evaluate(
    network: LatentNetwork,
    data: PreparedData,
    index: np.ndarray,
    spans: torch.Tensor,
    config: TrainingConfig,
    layer_spread: torch.Tensor | None = None,
) -> dict[str, float]:
    with torch.no_grad():
        terms = _loss_terms(
            network, data.units[index], data.targets[index], data.mask[index], data.layer_features, spans,
            sample=False, layer_spread=layer_spread,
        )
        terms["total"] = _total(terms, config)
    return {name: float(value) for name, value in terms.items()}


def train_model(
    frame: pd.DataFrame,
    design_space: DesignSpace,
    config: TrainingConfig | None = None,
    *,
    progress: bool = False,
) -> tuple[LatentModel, TrainingReport]:
    """Train a latent model on a data-set table.

    Args:
        frame: Table from ``read_dataset``.
        design_space: Space of the table's designs.
        config: Training settings; defaults to ``TrainingConfig()``.
        progress: Show a tqdm bar over epochs.

    Returns:
        The model with the weights of the best validation epoch, and the
        measured report (also stored in the model's metadata).
    """
    config = config or TrainingConfig()
    data, layer_encoding, target_scaling = prepare_data(frame, design_space)
    rng = np.random.default_rng(config.seed)
    train_index, validation_index = _split_designs(len(data.designs_raw), config.validation_fraction, rng)
    spans = _log2_spans(design_space)
    shape = NetworkShape(
        design_dim=design_space.dimension,
        latent_dim=config.latent_dim,
        vae_hidden=config.vae_hidden,
        predictor_hidden=config.predictor_hidden,
        decoder_output=config.decoder_output,
    )
    _logger.info(
        "Training on %d designs x %d layers (%d valid pairs), validating on %d designs",
        len(train_index), len(data.layers), int(data.mask[train_index].sum()), len(validation_index),
    )

    # Seed a private generator and a forked global state, so training is
    # reproducible without touching the caller's random streams.
    with torch.random.fork_rng():
        torch.manual_seed(config.seed)
        network = LatentNetwork(shape)
        generator = torch.Generator().manual_seed(config.seed)
        state, history, best_epoch, joint_time_s, final_train = _fit(
            network, data, train_index, validation_index, spans, config, generator, progress, design_space
        )
        network.load_state_dict(state)
        phase = fit_predictor(
            network, data.units, data.layer_features, data.targets, data.mask, train_index, validation_index,
            config.predictor_phase(), generator, progress=progress,
        )
    network.eval()

    # The latent box spans the encoder means of every design in the table,
    # the validation designs included.
    with torch.no_grad():
        means, _ = network.encode(data.units)
    lower = means.min(dim=0).values.numpy().astype(float)
    upper = means.max(dim=0).values.numpy().astype(float)
    model = LatentModel(network, design_space, layer_encoding, target_scaling, lower, upper)

    report = _report(
        model, data, train_index, validation_index, spans, config, history, best_epoch, joint_time_s, final_train, phase
    )
    model.metadata = {
        "training": config.to_dict(),
        "report": {key: value for key, value in report.to_dict().items() if key != "history"},
        "layers": [layer.key() for layer in data.layers],
    }
    return model, report


def _fit(
    network: LatentNetwork,
    data: PreparedData,
    train_index: np.ndarray,
    validation_index: np.ndarray,
    spans: torch.Tensor,
    config: TrainingConfig,
    generator: torch.Generator,
    progress: bool,
    design_space: DesignSpace,
) -> tuple[dict[str, torch.Tensor], list[dict[str, float]], int, float, dict[str, float]]:
    optimizer = torch.optim.Adam(network.parameters(), lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=max(1, config.patience // 3))
    train_tensor = torch.as_tensor(train_index)
    layer_spread = _layer_spread(data, train_index)
    design_rng = np.random.default_rng([config.seed, 1])
    best_loss = math.inf
    best_state = copy.deepcopy(network.state_dict())
    best_epoch = 0
    history: list[dict[str, float]] = []
    final_train: dict[str, float] = {}
    start = time.perf_counter()

    bar = tqdm(range(1, config.epochs + 1), disable=not progress, desc="train", unit="epoch")
    for epoch in bar:
        network.train()
        order = train_tensor[torch.randperm(len(train_tensor), generator=generator)]
        sums = {"total": 0.0, "rec": 0.0, "rec_mean": 0.0, "kl": 0.0, "pred": 0.0, "within": 0.0}
        batches = 0
        for begin in range(0, len(order), config.batch_designs):
            batch = order[begin : begin + config.batch_designs]
            unlabelled = None
            if config.unlabelled_designs:
                unlabelled = _draw_units(design_space, config.unlabelled_designs, design_rng)
            terms = _loss_terms(
                network, data.units[batch], data.targets[batch], data.mask[batch], data.layer_features, spans,
                sample=True, generator=generator, unlabelled=unlabelled, layer_spread=layer_spread,
            )
            loss = _total(terms, config)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            sums["total"] += float(loss.detach())
            for name, value in terms.items():
                sums[name] += float(value.detach())
            batches += 1
        network.eval()
        final_train = {name: value / batches for name, value in sums.items()}
        validation = _evaluate(network, data, validation_index, spans, config, layer_spread)
        scheduler.step(validation["total"])
        history.append({"epoch": epoch, **{f"train_{k}": v for k, v in final_train.items()},
                        **{f"val_{k}": v for k, v in validation.items()}})
        bar.set_postfix(train=f"{final_train['total']:.4f}", val=f"{validation['total']:.4f}")
        _logger.debug("epoch %d: train %.5f, validation %.5f", epoch, final_train["total"], validation["total"])

        if validation["total"] < best_loss - 1e-6:
            best_loss = validation["total"]
            best_state = copy.deepcopy(network.state_dict())
            best_epoch = epoch
        elif epoch - best_epoch >= config.patience:
            _logger.info("Stopping early at epoch %d: no validation improvement since epoch %d", epoch, best_epoch)
            break
        if config.max_time_s is not None and time.perf_counter() - start > config.max_time_s:
            _logger.info("Stopping at epoch %d: time limit of %.0f s reached", epoch, config.max_time_s)
            break
    bar.close()
    return best_state, history, best_epoch, time.perf_counter() - start, final_train


def _report(
    model: LatentModel,
    data: PreparedData,
    train_index: np.ndarray,
    validation_index: np.ndarray,
    spans: torch.Tensor,
    config: TrainingConfig,
    history: list[dict[str, float]],
    best_epoch: int,
    joint_time_s: float,
    final_train: dict[str, float],
    phase: PredictorPhaseResult,
) -> TrainingReport:
    raw = data.designs_raw[validation_index]
    decoded = model.decode_raw(model.encode_configs(raw))
    errors = np.abs(np.log2(decoded) - np.log2(raw))
    exact = float(np.mean((decoded == raw).all(axis=1)))

    latent = torch.as_tensor(model.encode_configs(raw), dtype=torch.float32)
    with torch.no_grad():
        log_cycles, log_energy = model.predict_log_costs(latent, data.layer_features)
    mask = data.mask[validation_index].numpy()
    true_cycles = np.log(data.cycles[validation_index])
    true_energy = np.log(data.energy_pj[validation_index])
    mae_cycles = float(np.abs(log_cycles.numpy() - true_cycles)[mask].mean())
    mae_energy = float(np.abs(log_energy.numpy() - true_energy)[mask].mean())
    predicted_edp = (log_cycles + log_energy).numpy()
    true_edp = true_cycles + true_energy
    correlations = []
    for layer_index in range(len(data.layers)):
        rows = mask[:, layer_index]
        if rows.sum() >= 5:
            correlations.append(spearmanr(predicted_edp[rows, layer_index], true_edp[rows, layer_index]).statistic)

    return TrainingReport(
        epochs_run=len(history),
        best_epoch=best_epoch,
        wall_time_s=joint_time_s + phase.wall_time_s,
        train_loss=final_train,
        validation_loss=_evaluate(model.network, data, validation_index, spans, config, _layer_spread(data, train_index)),
        exact_reconstruction=exact,
        median_error_log2={name: float(np.median(errors[:, i])) for i, name in enumerate(PARAMETER_NAMES)},
        p95_error_log2={name: float(np.percentile(errors[:, i], 95)) for i, name in enumerate(PARAMETER_NAMES)},
        predictor_mae_ln={"cycles": mae_cycles, "energy_pj": mae_energy},
        spearman_edp_median=float(np.nanmedian(correlations)) if correlations else math.nan,
        train_designs=len(train_index),
        validation_designs=len(validation_index),
        joint_time_s=joint_time_s,
        predictor_phase={key: value for key, value in asdict(phase).items() if key != "history"},
        history=history,
    )
