"""Built-in workloads of the VAESA study.

Layer lists come from CoSA's ``configs/workloads/*_graph/unique_layers.yaml``
and ``layer_count.yaml`` (ucb-bar/cosa at 00d3134), the layers behind the
published VAESA data. ResNeXt-50's grouped 3x3 convolutions are stored as one
group, with C = channels per group and K = all output channels, as the data
models them. Rows read ``R S P Q C K stride count``; N = 1, dilation 1.
"""

from __future__ import annotations

from vaesa_core.workloads.layer import Layer
from vaesa_core.workloads.network import Network

__all__ = ["BUILTIN_WORKLOADS", "builtin_workload", "builtin_names", "training_layers"]


def _fc(c: int, k: int, count: int = 1) -> tuple[int, ...]:
    return (1, 1, 1, 1, c, k, 1, count)


_ALEXNET = [
    (11, 11, 55, 55, 3, 64, 4, 1), (5, 5, 27, 27, 64, 192, 1, 1), (3, 3, 13, 13, 192, 384, 1, 1),
    (3, 3, 13, 13, 384, 256, 1, 1), (3, 3, 13, 13, 256, 256, 1, 1),
    _fc(9216, 4096), _fc(4096, 4096), _fc(4096, 1000),
]

_RESNET50 = [
    (7, 7, 112, 112, 3, 64, 2, 1), (1, 1, 56, 56, 64, 64, 1, 1), (3, 3, 56, 56, 64, 64, 1, 3),
    (1, 1, 56, 56, 64, 256, 1, 4), (1, 1, 56, 56, 256, 64, 1, 2), (1, 1, 56, 56, 256, 128, 1, 1),
    (3, 3, 28, 28, 128, 128, 2, 1), (1, 1, 28, 28, 128, 512, 1, 4), (1, 1, 28, 28, 256, 512, 2, 1),
    (1, 1, 28, 28, 512, 128, 1, 3), (3, 3, 28, 28, 128, 128, 1, 3), (1, 1, 28, 28, 512, 256, 1, 1),
    (3, 3, 14, 14, 256, 256, 2, 1), (1, 1, 14, 14, 256, 1024, 1, 6), (1, 1, 14, 14, 512, 1024, 2, 1),
    (1, 1, 14, 14, 1024, 256, 1, 5), (3, 3, 14, 14, 256, 256, 1, 5), (1, 1, 14, 14, 1024, 512, 1, 1),
    (3, 3, 7, 7, 512, 512, 2, 1), (1, 1, 7, 7, 512, 2048, 1, 3), (1, 1, 7, 7, 1024, 2048, 2, 1),
    (1, 1, 7, 7, 2048, 512, 1, 2), (3, 3, 7, 7, 512, 512, 1, 2), _fc(2048, 1000),
]

_RESNEXT50 = [
    (7, 7, 112, 112, 3, 64, 2, 1), (1, 1, 56, 56, 64, 128, 1, 1), (3, 3, 56, 56, 4, 128, 1, 3),
    (1, 1, 56, 56, 128, 256, 1, 3), (1, 1, 56, 56, 64, 256, 1, 1), (1, 1, 56, 56, 256, 128, 1, 2),
    (1, 1, 56, 56, 256, 256, 1, 1), (3, 3, 28, 28, 8, 256, 2, 1), (1, 1, 28, 28, 256, 512, 1, 4),
    (1, 1, 28, 28, 256, 512, 2, 1), (1, 1, 28, 28, 512, 256, 1, 3), (3, 3, 28, 28, 8, 256, 1, 3),
    (1, 1, 28, 28, 512, 512, 1, 1), (3, 3, 14, 14, 16, 512, 2, 1), (1, 1, 14, 14, 512, 1024, 1, 6),
    (1, 1, 14, 14, 512, 1024, 2, 1), (1, 1, 14, 14, 1024, 512, 1, 5), (3, 3, 14, 14, 16, 512, 1, 5),
    (1, 1, 14, 14, 1024, 1024, 1, 1), (3, 3, 7, 7, 32, 1024, 2, 1), (1, 1, 7, 7, 1024, 2048, 1, 3),
    (1, 1, 7, 7, 1024, 2048, 2, 1), (1, 1, 7, 7, 2048, 1024, 1, 2), (3, 3, 7, 7, 32, 1024, 1, 2),
    _fc(2048, 1000),
]

_DEEPBENCH = [
    (3, 3, 480, 48, 1, 16, 1, 1), (3, 3, 240, 24, 16, 32, 1, 1), (3, 3, 120, 12, 32, 64, 1, 1),
    (3, 3, 60, 6, 64, 128, 1, 1), (3, 3, 108, 108, 3, 64, 2, 1), (3, 3, 54, 54, 64, 64, 1, 1),
    (3, 3, 27, 27, 128, 128, 1, 1), (3, 3, 14, 14, 128, 256, 1, 1), (3, 3, 7, 7, 256, 512, 1, 1),
]

# Held-out layers from DenseNet-161, VGG-16, DLRM and DeepBench speaker ID;
# 1x1 28x28 512->512 is also a ResNeXt-50 layer.
_UNSEEN = [
    _fc(2208, 1000), _fc(512, 256), (1, 1, 28, 28, 512, 512, 1, 1), (3, 3, 14, 14, 192, 48, 1, 1),
    (3, 3, 14, 14, 512, 512, 1, 1), (3, 3, 28, 28, 192, 48, 1, 1), (3, 3, 28, 28, 512, 512, 1, 1),
    (3, 3, 350, 80, 64, 64, 1, 1), (3, 3, 56, 56, 192, 48, 1, 1), (3, 3, 56, 56, 256, 256, 1, 1),
    (3, 3, 7, 7, 192, 48, 1, 1), (5, 5, 700, 161, 1, 64, 2, 1),
]


def _network(name: str, rows: list[tuple[int, ...]], description: str) -> Network:
    layers = []
    counts = []
    for index, (r, s, p, q, c, k, stride, count) in enumerate(rows):
        layers.append(Layer(r, s, p, q, c, k, 1, stride, stride, name=f"{name}_{index}"))
        counts.append(count)
    return Network(name, tuple(layers), tuple(counts), description)


BUILTIN_WORKLOADS: dict[str, Network] = {
    "alexnet": _network("alexnet", _ALEXNET, "AlexNet, 8 unique layers"),
    "resnet50": _network("resnet50", _RESNET50, "ResNet-50, 24 unique layers (54 with repeats)"),
    "resnext50": _network(
        "resnext50", _RESNEXT50, "ResNeXt-50 32x4d, 25 unique layers (54 with repeats), grouped convs as one group"
    ),
    "deepbench": _network("deepbench", _DEEPBENCH, "DeepBench subset (OCR and face recognition), 9 layers"),
    "unseen": _network("unseen", _UNSEEN, "12 held-out test layers (DenseNet-161, VGG-16, DLRM, speaker ID)"),
}


def builtin_names() -> list[str]:
    """Return the names of the built-in workloads."""
    return sorted(BUILTIN_WORKLOADS)


def builtin_workload(name: str) -> Network:
    """Return the built-in network called ``name`` (KeyError if unknown)."""
    return BUILTIN_WORKLOADS[name]


def training_layers() -> list[Layer]:
    """Return the 57 distinct layers of AlexNet, ResNet-50, ResNeXt-50 and DeepBench."""
    seen: dict[Layer, None] = {}
    for name in ("alexnet", "resnet50", "resnext50", "deepbench"):
        for layer in BUILTIN_WORKLOADS[name].layers:
            seen.setdefault(layer, None)
    return list(seen)
