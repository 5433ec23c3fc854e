"""Build ``models/data/confusables.txt``: visually confusable Chinese characters (形近字),
derived from data rather than typed by hand.

Two sources, each run over the most frequent characters of jieba's dictionary:

1. **The OCR engine's own confusions.** Every character is rendered alone in several system
   fonts of different style (Song/Ming, Hei, Kai), sharp and slightly blurred, and read by the
   product's recognition model (PP-OCR, ONNX, the file the product reads scans with). At the
   time step where the character is recognised, the characters the model ranks next are the
   ones it could take it for. A pair is kept when the alternative ranks in the top
   :data:`OCR_TOP` in at least ``--ocr-min`` of the renderings.
2. **Glyph overlap.** The same characters are binarised on a small grid in each font and
   compared by a chamfer overlap (how much of each glyph the other covers within one pixel),
   averaged over the fonts. Overlap alone is a poor judge (most glyphs of a square script
   overlap a lot), so it only keeps a pair the model hesitated over at least once (``--glyph-min``:
   区/匹, which the model separates in most renderings, look alike to the eye).

A pair is kept with ``--ocr-min`` votes or more (both directions summed over the renderings),
or with one vote and the glyph overlap. On the shared development dossiers' double-layer
rendering the table covers 87 of the 98 look-alike substitutions seen (1,438 of 1,719
occurrences); those pairs were used only to measure it, never to build it.

Each line is ``a<TAB>b<TAB>votes<TAB>glyph`` (pairs unordered, listed once; ``votes`` counts both
directions over all renderings, ``glyph`` is the overlap 0–1). Run
offline (about ten minutes on 2 cores); the file is committed with the code, and nothing is
computed or downloaded at run time:

    python tools/build_confusables.py

Needs the fonts of Debian's ``fonts-noto-cjk``, ``fonts-arphic-ukai`` and ``fonts-arphic-uming``.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "models" / "data" / "confusables.txt"
#: (font file, face index) of different styles: Song (serif), Hei (sans), Kai (brush), Ming.
FONTS = (
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
BLURS = (0.0, 1.1)
#: Digits are read through the same model (6/8, 1/7 in an amount or a date); only digit–digit pairs are kept.
DIGITS = "0123456789"
OCR_TOP = 6
GRID = 32


def common_chars(limit: int) -> list[str]:
    """The ``limit`` most frequent CJK characters (jieba's word frequencies summed per character)."""
    import jieba

    freq: Counter[str] = Counter()
    with open(Path(jieba.__file__).with_name("dict.txt"), encoding="utf-8") as fh:
        for row in fh:
            parts = row.split()
            if len(parts) >= 2:
                for ch in parts[0]:
                    if "\u4e00" <= ch <= "\u9fff":
                        freq[ch] += float(parts[1])
    return [c for c, _ in freq.most_common(limit)]


def _font(spec: tuple[str, int], size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(spec[0], size, index=spec[1])


def _line_image(ch: str, font: ImageFont.FreeTypeFont, blur: float) -> np.ndarray:
    import cv2

    img = Image.new("RGB", (64, 48), (255, 255, 255))
    ImageDraw.Draw(img).text((12, 2), ch, fill=(0, 0, 0), font=font)
    arr = np.asarray(img, dtype=np.float32)
    return cv2.GaussianBlur(arr, (0, 0), blur) if blur else arr


def ocr_confusions(chars: list[str], batch: int = 96) -> dict[tuple[str, str], int]:
    """How many renderings of ``a`` put ``b`` among the model's next :data:`OCR_TOP` guesses."""
    import onnxruntime as ort

    model = next((REPO / ".venv").glob("lib/python*/site-packages/rapidocr/models/*rec*.onnx"), None)
    if model is None:
        import rapidocr

        model = next(Path(rapidocr.__file__).parent.glob("models/*rec*.onnx"))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
    alphabet = ["<blank>"] + sess.get_modelmeta().custom_metadata_map["character"].splitlines() + [" "]
    index = {c: i for i, c in enumerate(alphabet)}
    jobs = [(ch, spec, blur) for spec in FONTS for blur in BLURS for ch in chars if ch in index]
    fonts = {spec: _font(spec, 40) for spec in FONTS}
    counts: Counter[tuple[str, str]] = Counter()
    for start in range(0, len(jobs), batch):
        part = jobs[start:start + batch]
        x = np.stack([(_line_image(ch, fonts[spec], blur) / 255.0 - 0.5) / 0.5 for ch, spec, blur in part])
        probs = sess.run(None, {sess.get_inputs()[0].name: x.transpose(0, 3, 1, 2).astype(np.float32)})[0]
        for (ch, _, _), p in zip(part, probs):
            step = int(p[:, index[ch]].argmax())
            for j in np.argsort(-p[step])[:OCR_TOP + 2]:
                alt = alphabet[j]
                if alt != ch and (alt in DIGITS if ch in DIGITS else "\u4e00" <= alt <= "\u9fff"):
                    counts[(ch, alt)] += 1
    return counts


def glyph_similarity(chars: list[str], universe: list[str]) -> np.ndarray:
    """Chamfer overlap (see :func:`_chamfer`) of every ``chars`` glyph with every ``universe``
    glyph, averaged over :data:`FONTS` (−1 where a font lacks either glyph)."""
    pos = {c: i for i, c in enumerate(universe)}
    rows = np.array([pos[c] for c in chars])
    total = np.zeros((len(chars), len(universe)), dtype=np.float32)
    for spec in FONTS:
        ink, grown, ok = _bitmaps(universe, _font(spec, 64))
        sim = _chamfer(ink[rows], grown[rows], ink, grown)
        sim[:, ~ok] = -1.0
        sim[~ok[rows], :] = -1.0
        total += sim
    return total / len(FONTS)


def _bitmaps(chars: list[str], font: ImageFont.FreeTypeFont) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binarised :data:`GRID`² glyphs, the same grown by one pixel, and which glyphs the font draws."""
    import cv2

    ink = np.zeros((len(chars), GRID * GRID), dtype=np.float32)
    grown = np.zeros_like(ink)
    ok = np.zeros(len(chars), dtype=bool)
    kernel = np.ones((3, 3), np.uint8)
    missing = None
    if font.getmask("\U000f0000").size[0]:
        missing = _glyph(font, "\U000f0000")
    for i, ch in enumerate(chars):
        g = _glyph(font, ch)
        if g.sum() < 20 or (missing is not None and np.array_equal(g, missing)):
            continue
        small = np.asarray(Image.fromarray(g).resize((GRID, GRID), Image.BILINEAR)) >= 96
        ink[i] = small.ravel()
        grown[i] = cv2.dilate(small.astype(np.uint8), kernel).ravel()
        ok[i] = True
    return ink, grown, ok


def _glyph(font: ImageFont.FreeTypeFont, ch: str) -> np.ndarray:
    img = Image.new("L", (80, 80), 0)
    ImageDraw.Draw(img).text((8, 0), ch, fill=255, font=font)
    return np.asarray(img)


def _chamfer(a: np.ndarray, a_grown: np.ndarray, b: np.ndarray, b_grown: np.ndarray) -> np.ndarray:
    """1 − (ink of a outside grown b + ink of b outside grown a) / (ink of a + ink of b),
    counted with matrix products (|a ∖ grow(b)| = |a| − a·grow(b))."""
    na, nb = a.sum(1)[:, None], b.sum(1)[None, :]
    outside = (na - a @ b_grown.T) + (nb - a_grown @ b.T)
    return 1.0 - outside / np.maximum(na + nb, 1.0)


def build(common: int, ocr_min: int, glyph_min: float, glyph_top: int) -> list[tuple[str, str, int, float]]:
    """``(a, b, votes, glyph)``: renderings whose reading of one put the other among the model's next
    guesses (both directions summed), and the glyph overlap; kept when ``votes >= ocr_min``, or when
    the model hesitated at least once and the glyphs overlap at least ``glyph_min``."""
    chars = common_chars(common)
    votes: Counter[tuple[str, str]] = Counter()
    for (a, b), n in ocr_confusions(chars + list(DIGITS)).items():
        votes[(a, b) if a < b else (b, a)] += n
    universe = [chr(c) for c in range(0x4E00, 0xA000)]
    pos = {c: i for i, c in enumerate(universe)}
    sim = glyph_similarity(chars, universe)
    glyph: dict[tuple[str, str], float] = {}
    for i, a in enumerate(chars):
        row = sim[i]
        row[pos[a]] = -1.0
        for j in np.argsort(-row)[:glyph_top]:
            key = (a, universe[j]) if a < universe[j] else (universe[j], a)
            glyph[key] = max(glyph.get(key, 0.0), float(row[j]))
    for (a, b) in votes:
        if (a, b) not in glyph and a in pos and b in pos and a in chars:
            glyph[(a, b)] = float(sim[chars.index(a), pos[b]])
    rows = []
    for key in set(votes) | set(glyph):
        n, g = votes.get(key, 0), glyph.get(key, 0.0)
        if n >= ocr_min or (n >= 1 and g >= glyph_min):
            rows.append((key[0], key[1], n, g))
    return sorted(rows, key=lambda r: (-r[2], -r[3], r[0], r[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--common", type=int, default=6000, help="characters the table is built for (by frequency)")
    ap.add_argument("--ocr-min", type=int, default=3,
                    help=f"votes (renderings of either character, of {2 * len(FONTS) * len(BLURS)}) that keep a pair")
    ap.add_argument("--glyph-min", type=float, default=0.85, help="glyph overlap that keeps a pair with one vote")
    ap.add_argument("--glyph-top", type=int, default=5)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    rows = build(args.common, args.ocr_min, args.glyph_min, args.glyph_top)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("# confusable Chinese characters (形近字): a, b, votes (renderings of either read with the other among "
                 "the recognition model's next guesses), glyph overlap\n")
        fh.write(f"# built by: python tools/build_confusables.py --common {args.common} --ocr-min {args.ocr_min} "
                 f"--glyph-min {args.glyph_min} --glyph-top {args.glyph_top}\n")
        for a, b, n, g in rows:
            fh.write(f"{a}\t{b}\t{n}\t{g:.3f}\n")
    print(f"{len(rows)} pairs → {args.out}")


if __name__ == "__main__":
    main()
