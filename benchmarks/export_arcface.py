"""Export an ArcFace ResNet-50 with random weights to ONNX, to time the insightface engine.

The real buffalo_l recogniser (w600k_r50.onnx) cannot be downloaded on every machine, but its
speed depends on its architecture, not on its weights. This script builds that architecture,
insightface's `iresnet50` (recognition/arcface_torch/backbones/iresnet.py in the insightface
repository), written out here from its description, with random weights, and exports it with
the real file's signature: input "input.1", float32 NCHW [batch, 3, 112, 112] with a free batch
size, one output [batch, 512]. insightface routes such a file to ArcFaceONNX (a square input of
112 or more), as it does the real one. benchmarks/insightface_speed.py times it.

It needs PyTorch, which faceaudit's own venv does not have; make a venv outside the repo:

    python3 -m venv ~/.cache/faceaudit-bench/torch-venv
    ~/.cache/faceaudit-bench/torch-venv/bin/pip install torch==2.13.0 onnx numpy
    ~/.cache/faceaudit-bench/torch-venv/bin/python benchmarks/export_arcface.py \
        [--out ~/.cache/faceaudit-bench/models/r50-random]

Random weights: the batch-norm statistics are set from one forward pass over random images
(as training would set them), so activations keep an ordinary range through all 24 blocks
instead of overflowing to inf/NaN or sinking into denormals, either of which would make
the timing unlike the real model's.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

DEFAULT_OUT = Path.home() / ".cache" / "faceaudit-bench" / "models" / "r50-random"
FILE = "w600k_r50.onnx"
INPUT = "input.1"  # the real w600k_r50.onnx's input name
OUTPUT = "embedding"
SIDE = 112
FEATURES = 512
LAYERS = (3, 4, 14, 3)  # iresnet50
WIDTHS = (64, 128, 256, 512)
OPSET = 13


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


class Block(nn.Module):
    """insightface's IBasicBlock: BN, conv3x3, BN, PReLU, conv3x3 (with the stride), BN, plus
    the shortcut (a strided conv1x1 and BN where the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.BatchNorm2d(cin, eps=1e-5),
            conv3x3(cin, cout),
            nn.BatchNorm2d(cout, eps=1e-5),
            nn.PReLU(cout),
            conv3x3(cout, cout, stride),
            nn.BatchNorm2d(cout, eps=1e-5),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(cout, eps=1e-5),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class IResNet50(nn.Module):
    """Stem conv3x3(64) + BN + PReLU at 112x112; four stages of blocks, each halving the side
    (112 -> 56 -> 28 -> 14 -> 7); BN2d(512), dropout, flatten, Linear(512*7*7, 512), BN1d(512)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(conv3x3(3, WIDTHS[0]), nn.BatchNorm2d(WIDTHS[0], eps=1e-5),
                                  nn.PReLU(WIDTHS[0]))
        stages: list[nn.Module] = []
        cin = WIDTHS[0]
        for blocks, width in zip(LAYERS, WIDTHS, strict=True):
            stage = [Block(cin, width, 2)] + [Block(width, width, 1) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*stage))
            cin = width
        self.stages = nn.Sequential(*stages)
        self.bn = nn.BatchNorm2d(WIDTHS[-1], eps=1e-5)
        self.dropout = nn.Dropout(p=0.0)
        self.fc = nn.Linear(WIDTHS[-1] * 7 * 7, FEATURES)
        self.features = nn.BatchNorm1d(FEATURES, eps=1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))
        x = self.dropout(torch.flatten(self.bn(x), 1))
        return self.features(self.fc(x))


def randomise(model: nn.Module) -> None:
    """Spread the PReLU slopes and batch-norm scales and shifts, as training leaves them (left
    at their constant defaults, the exporter would share the equal tensors between layers)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.PReLU):
                module.weight.uniform_(0.05, 0.5)
            elif isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.1, 0.1)


def calibrate(model: nn.Module, images: int, seed: int) -> None:
    """Batch-norm running statistics from one training-mode pass over random images."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None  # a cumulative average: after one pass, that pass's stats
    generator = torch.Generator().manual_seed(seed)
    batch = torch.rand(images, 3, SIDE, SIDE, generator=generator) * 2 - 1  # as insightface scales
    model.train()
    with torch.no_grad():
        model(batch)
    model.eval()


def export(model: nn.Module, path: Path) -> None:
    sample = torch.zeros(1, 3, SIDE, SIDE)
    options = {
        "input_names": [INPUT],
        "output_names": [OUTPUT],
        "dynamic_axes": {INPUT: {0: "None"}, OUTPUT: {0: "None"}},
        "opset_version": OPSET,
        "do_constant_folding": True,
    }
    with warnings.catch_warnings():
        # The TorchScript exporter on purpose (as insightface's own export scripts use it, at
        # opset 13): torch 2.9+ warns that it is no longer the default.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (sample,), str(path), dynamo=False, **options)


def check(path: Path) -> list[str]:
    """What would stop insightface from routing the file as an ArcFace recogniser."""
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    graph = model.graph
    problems = []
    constants = {t.name for t in graph.initializer}
    inputs = [v for v in graph.input if v.name not in constants]
    dims = [d.dim_value if d.HasField("dim_value") else d.dim_param
            for d in inputs[0].type.tensor_type.shape.dim]
    if len(inputs) != 1 or inputs[0].name != INPUT or dims[1:] != [3, SIDE, SIDE]:
        problems.append(f"input is {[v.name for v in inputs]} {dims}, not {INPUT} [?, 3, {SIDE}, {SIDE}]")
    if isinstance(dims[0], int) and dims[0] > 0:
        problems.append(f"batch size is fixed at {dims[0]}")
    if len(graph.output) != 1:
        problems.append(f"{len(graph.output)} outputs, not 1")
    # ArcFaceONNX takes a model whose first nodes are named Sub*/Mul* (or _minus*/_mul*) for an
    # mxnet export with the pixel scaling built in, and would then skip scaling the input.
    early = [n.name for n in graph.node[:8]]
    if any(name.startswith(("Sub", "Mul", "_minus", "_mul")) for name in early):
        problems.append(f"first nodes are named like an mxnet export: {early}")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder for {FILE}")
    parser.add_argument("--seed", type=int, default=50)
    parser.add_argument("--calibration-images", type=int, default=16)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    model = IResNet50()
    randomise(model)
    calibrate(model, args.calibration_images, args.seed)
    parameters = sum(p.numel() for p in model.parameters())
    print(f"iresnet50, random weights (seed {args.seed}): {parameters:,} parameters "
          f"({parameters / 1e6:.1f} M)")
    with torch.no_grad():
        out = model(torch.rand(2, 3, SIDE, SIDE) * 2 - 1).numpy()
    if out.shape != (2, FEATURES) or not np.isfinite(out).all():
        print(f"the model gives {out.shape}, finite: {np.isfinite(out).all()}: not exported")
        return 1
    print(f"output {out.shape[1]}-d, |embedding| {np.linalg.norm(out, axis=1).round(1).tolist()}, "
          f"min |value| {np.abs(out).min():.2e}")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / FILE
    export(model, path)
    problems = check(path)
    if problems:
        print(f"{path}: insightface would not route it as its recogniser: {'; '.join(problems)}")
        return 1
    size = path.stat().st_size
    print(f"wrote {path}: {size:,} bytes ({size / 2**20:.1f} MiB), opset {OPSET}, "
          f"input {INPUT} [None, 3, {SIDE}, {SIDE}], output {OUTPUT} [None, {FEATURES}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
