"""Tiny ONNX stand-ins for an insightface model pack, generated at test time (never committed).

They have the inputs and outputs of the real buffalo_l files, so insightface routes and runs
them exactly as it would the real ones:

- `det_10g.onnx`, an SCRFD-shaped detector: one image input with free height and width, nine
  outputs (scores, box distances, keypoints at strides 8, 16 and 32). Its only "face" is a
  bright-red 32x32 cell of the 640x640 detector input: the cell's anchors score the cell's mean
  red value, every other anchor scores zero. Box and keypoint distances are constants, so the
  face's place follows from where the red cell is.
- `w600k_r50.onnx`, an ArcFace-shaped recogniser: 112x112 input, 512 outputs, a fixed random
  projection of the 16x16-average-pooled crop, so the embedding depends on the pixels.
- `2d106det.onnx` and `genderage.onnx`, landmark- and attribute-shaped models that a loader
  restricted to detection and recognition must leave out.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8  # understood by every onnxruntime insightface 2.1 supports

STRIDES = (8, 16, 32)
FACE_STRIDE = 32  # the stride whose anchors fire
FACE_CELL = 32  # side, in detector-input pixels, of the red cell that is the face
# Distances from an anchor centre (the top-left corner of its cell), in units of the stride:
# left, top, right, bottom. At stride 32 the box is (cx - 64, cy - 80, cx + 96, cy + 112).
BOX_DISTANCES = (2.0, 2.5, 3.0, 3.5)
# Five keypoints (eyes, nose tip, mouth corners) as (dx, dy) from the anchor centre, stride units.
KEYPOINT_OFFSETS = ((-0.625, -0.5), (1.625, -0.5), (0.5, 0.5), (-0.25, 1.75), (1.25, 1.75))

DETECTOR_FILE = "det_10g.onnx"
RECOGNISER_FILE = "w600k_r50.onnx"
LANDMARK_FILE = "2d106det.onnx"
GENDERAGE_FILE = "genderage.onnx"


def expected_face(anchor_x: float, anchor_y: float, scale: float) -> tuple[list[float], npt.NDArray[np.float32]]:
    """Box [x1, y1, x2, y2] and (5, 2) keypoints, in original image pixels, for the face whose
    anchor centre is at (anchor_x, anchor_y) in detector-input pixels; `scale` is original
    pixels per detector-input pixel."""
    left, top, right, bottom = (d * FACE_STRIDE for d in BOX_DISTANCES)
    box = [(anchor_x - left) * scale, (anchor_y - top) * scale,
           (anchor_x + right) * scale, (anchor_y + bottom) * scale]
    points = np.array(
        [[(anchor_x + dx * FACE_STRIDE) * scale, (anchor_y + dy * FACE_STRIDE) * scale]
         for dx, dy in KEYPOINT_OFFSETS],
        dtype=np.float32,
    )
    return box, points


def _model(nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto],
           outputs: list[onnx.ValueInfoProto], initializers: list[onnx.TensorProto],
           name: str) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def scrfd_detector() -> onnx.ModelProto:
    """SCRFD signature: input [1, 3, ?, ?]; outputs score_s [N, 1], bbox_s [N, 4], kps_s [N, 10]
    for s in 8, 16, 32, where N = (H/s) * (W/s) * 2 anchors, in that order."""
    const = numpy_helper.from_array
    initializers = [
        const(np.array([0], dtype=np.int64), "red_start"),
        const(np.array([1], dtype=np.int64), "red_end"),
        const(np.array([1], dtype=np.int64), "channel_axis"),
        const(np.array([-1, 1], dtype=np.int64), "column"),
        const(np.array(0.0, dtype=np.float32), "zero"),
        const(np.array([BOX_DISTANCES], dtype=np.float32), "box_distances"),
        const(np.array([[v for point in KEYPOINT_OFFSETS for v in point]], dtype=np.float32),
              "keypoint_offsets"),
    ]
    nodes = [
        # After insightface's BGR->RGB swap, channel 0 is red: (red - 127.5) / 128.
        helper.make_node("Slice", ["input.1", "red_start", "red_end", "channel_axis"], ["red"],
                         name="det_red"),
    ]
    for stride in STRIDES:
        s = str(stride)
        nodes += [
            helper.make_node("AveragePool", ["red"], [f"cell_{s}"], name=f"det_pool_{s}",
                             kernel_shape=[stride, stride], strides=[stride, stride]),
            helper.make_node("Reshape", [f"cell_{s}", "column"], [f"cells_{s}"],
                             name=f"det_cells_{s}"),
            # Two anchors per cell, stored next to each other, as scrfd.py expects.
            helper.make_node("Concat", [f"cells_{s}", f"cells_{s}"], [f"pairs_{s}"],
                             name=f"det_pairs_{s}", axis=1),
            helper.make_node("Reshape", [f"pairs_{s}", "column"], [f"anchors_{s}"],
                             name=f"det_anchors_{s}"),
            helper.make_node("Mul", [f"anchors_{s}", "zero"], [f"zeros_{s}"],
                             name=f"det_zeros_{s}"),
            helper.make_node("Add", [f"zeros_{s}", "box_distances"], [f"bbox_{s}"],
                             name=f"det_bbox_{s}"),
            helper.make_node("Add", [f"zeros_{s}", "keypoint_offsets"], [f"kps_{s}"],
                             name=f"det_kps_{s}"),
        ]
        if stride == FACE_STRIDE:
            # A fully red cell scores 127.5 / 128 = 0.996; black and grey cells score 0.
            nodes.append(helper.make_node("Relu", [f"anchors_{s}"], [f"score_{s}"],
                                          name=f"det_score_{s}"))
        else:
            nodes.append(helper.make_node("Identity", [f"zeros_{s}"], [f"score_{s}"],
                                          name=f"det_score_{s}"))
    image = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "?", "?"])
    outputs = [
        helper.make_tensor_value_info(f"{kind}_{stride}", TensorProto.FLOAT, [f"n{stride}", width])
        for kind, width in (("score", 1), ("bbox", 4), ("kps", 10))
        for stride in STRIDES
    ]
    return _model(nodes, [image], outputs, initializers, "tiny_scrfd")


def _pooled_projection(name: str, side: int, pool: int, width: int, seed: int) -> onnx.ModelProto:
    """[batch, 3, side, side] -> [batch, width]: average-pool, flatten, fixed random projection."""
    cells = 3 * (side // pool) ** 2
    weights = np.random.default_rng(seed).standard_normal((cells, width)).astype(np.float32)
    nodes = [
        # Node names must not start with "Sub"/"Mul": insightface would take the model for an
        # mxnet export with preprocessing built in.
        helper.make_node("AveragePool", ["input.1"], ["pooled"], name=f"{name}_pool",
                         kernel_shape=[pool, pool], strides=[pool, pool]),
        helper.make_node("Flatten", ["pooled"], ["flat"], name=f"{name}_flatten", axis=1),
        helper.make_node("MatMul", ["flat", "projection"], ["output"], name=f"{name}_project"),
    ]
    image = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["None", 3, side, side])
    output = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["None", width])
    return _model(nodes, [image], [output], [numpy_helper.from_array(weights, "projection")], name)


def arcface_recogniser() -> onnx.ModelProto:
    return _pooled_projection("tiny_arcface", side=112, pool=16, width=512, seed=112)


def landmark_2d106() -> onnx.ModelProto:
    return _pooled_projection("tiny_2d106det", side=192, pool=48, width=212, seed=192)


def genderage() -> onnx.ModelProto:
    return _pooled_projection("tiny_genderage", side=96, pool=24, width=3, seed=96)


PACK = {
    DETECTOR_FILE: scrfd_detector,
    RECOGNISER_FILE: arcface_recogniser,
    LANDMARK_FILE: landmark_2d106,
    GENDERAGE_FILE: genderage,
}


def write_pack(folder: Path, files: tuple[str, ...] = tuple(PACK)) -> Path:
    """Write the named tiny models into `folder`, laid out like an unpacked buffalo_l.zip."""
    folder.mkdir(parents=True, exist_ok=True)
    for file in files:
        onnx.save(PACK[file](), str(folder / file))
    return folder


def pack_zip(files: tuple[str, ...] = tuple(PACK)) -> bytes:
    """The pack as insightface's release zip holds it: the .onnx files at the top level."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in files:
            archive.writestr(file, PACK[file]().SerializeToString())
    return buffer.getvalue()
