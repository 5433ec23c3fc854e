"""Build the int8 text detector and recogniser from the fp32 PP-OCR models of the rapidocr wheel.

    python -m extractors.ocr_models.build_int8 [--out extractors/ocr_models] [--pages 12]

Offline and deterministic: the calibration pages are a generated dossier (``fixtures.generator``
seed 101, scanned by ``fixtures.scan`` with the ``pdf`` profile — not the pages the benchmark
scores), OCR'd once with the fp32 models while the detector's and the recogniser's inputs are
recorded exactly as the engine feeds them (detector: the page at ``ocr.DET_SIDE``; recogniser:
its batches of line crops). Each model is converted to opset 17 (per-channel ``DequantizeLinear``
needs ≥ 13; the wheel's are opset 11), shape-inferred (``quant_pre_process``) and quantised
statically by ``onnxruntime.quantization.quantize_static``: QDQ format, int8 weights per output
channel, uint8 activations, min/max calibration with a moving average. In the recogniser only the
convolutions are quantised: its attention and CTC head (``MatMul``) stay fp32 — quantised too they
cost no less time and dropped characters at line ends (``（捺指印）`` read ``(捺指印``, a lost slot
label). The recogniser's character list (model metadata, read by RapidOCR) is copied over. The direction classifier
stays fp32 (0.6 MB, a few crops a page).

Measured accuracy and speed of every variant: ``python bench/ocr_pages.py --variants``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CALIBRATION_SEED = 101
#: Recogniser batches kept for calibration (drawn evenly from all recorded ones).
REC_BATCHES = 120


def record_inputs(pages: int, work: Path) -> dict[str, list[np.ndarray]]:
    """The detector's and recogniser's inputs while the fp32 engine reads ``pages`` calibration pages."""
    from extractors import ocr, ocr_engine
    from fixtures.generator import generate_dossier
    from fixtures.scan import page_count, scan_dossier

    text = generate_dossier(seed=CALIBRATION_SEED, out_dir=work / "text", layout="single-pdf", defects=[])
    scan_dossier(text, work / "scan" / text.name, seed=CALIBRATION_SEED, profile="pdf")
    pdf = next((work / "scan" / text.name).glob("*.pdf"))
    engine = ocr.get_engine("rapidocr", 1, ocr.EngineConfig(models="fp32"))
    seen: dict[str, list[np.ndarray]] = {"det": [], "rec": []}

    class Recorder:
        def __init__(self, inner, key):
            self.inner, self.key = inner, key

        def __call__(self, x):
            seen[self.key].append(np.array(x, np.float32))
            return self.inner(x)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    for key, part in (("det", engine.text_det), ("rec", engine.text_rec)):
        part.session = Recorder(part.session, key)
    try:
        n = page_count(pdf)
        for i in range(0, n, max(1, n // pages)):
            image, dpi = ocr.rasterize_pdf_page_at(pdf, i, ocr.DEFAULT_DPI)
            ocr.ocr_image(image, dpi=dpi, threads=1, config=ocr.EngineConfig(models="fp32"))
    finally:
        ocr_engine._ENGINES.clear()
    rec = seen["rec"]
    random.Random(0).shuffle(rec)
    return {"det": seen["det"], "rec": rec[:REC_BATCHES]}


#: Operators quantised per model (None: every one onnxruntime can).
OPS = {"det": None, "rec": ["Conv"]}


def quantise(src: Path, dst: Path, samples: list[np.ndarray], work: Path, ops: list[str] | None = None) -> None:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    original = onnx.load(str(src))
    up = work / f"{dst.stem}.op17.onnx"
    onnx.save(version_converter.convert_version(original, 17), str(up))
    pre = work / f"{dst.stem}.pre.onnx"
    quant_pre_process(str(up), str(pre), skip_symbolic_shape=True)
    name = original.graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(samples)

        def get_next(self):
            x = next(self.it, None)
            return None if x is None else {name: x}

    quantize_static(str(pre), str(dst), Reader(), quant_format=QuantFormat.QDQ, per_channel=True, op_types_to_quantize=ops,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax, extra_options={"CalibMovingAverage": True})
    built = onnx.load(str(dst))
    if original.metadata_props and not built.metadata_props:
        for p in original.metadata_props:
            built.metadata_props.add(key=p.key, value=p.value)
        onnx.save(built, str(dst))


def main() -> None:
    from extractors import ocr

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--pages", type=int, default=12, help="calibration pages")
    args = ap.parse_args()
    fp32 = ocr.bundled_model_paths()
    with tempfile.TemporaryDirectory(prefix="ocr-int8-") as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        inputs = record_inputs(args.pages, work)
        print(f"recorded {len(inputs['det'])} detector inputs and {len(inputs['rec'])} recogniser batches "
              f"in {time.perf_counter() - t:.0f} s")
        for key in ("det", "rec"):
            t = time.perf_counter()
            dst = args.out / ocr.INT8_FILES[key]
            quantise(fp32[key], dst, inputs[key], work, OPS[key])
            print(f"{dst}: {dst.stat().st_size / 2**20:.1f} MiB in {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
