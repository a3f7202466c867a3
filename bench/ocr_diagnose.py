"""Where the first-generation date reader gives up, card by card, on the **development**
layouts only (``bench/ocr_accuracy.py``'s dev set): for every field not exact, the stage
that decided (page reading, fallback, second look, cross-check), its reason, and the text
lines the engine saw. The engine's answers are cached on disk by image, so a change to the
text rules can be measured again in seconds::

    .venv/bin/python bench/ocr_diagnose.py --count 80 [--cache /tmp/ocr-cache] [--lines]

Never run on the held-out set: it is for tuning.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import hashlib
import os
import pickle
import sys
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from bench.ocr_accuracy import _outcome, card
from cardtool import front_dates as fd
from cardtool.virtual.front_family import draw_face, random_layout


class CachedEngine:
    """An engine whose answers are kept on disk by (engine, image bytes)."""

    def __init__(self, engine: fd.Engine, cache: Path, log: list[str]) -> None:
        self.engine = engine
        self.name = engine.name
        self.cache = cache
        self.log = log
        cache.mkdir(parents=True, exist_ok=True)

    def words(self, image: Image.Image) -> list[fd.Word]:
        key = hashlib.sha1(self.name.encode() + repr(image.size).encode() + image.mode.encode()
                           + image.tobytes()).hexdigest()
        path = self.cache / f"{key}.pickle"
        self.log.append(f"{self.name} {image.size[0]}x{image.size[1]}")
        if path.exists():
            return pickle.loads(path.read_bytes())  # type: ignore[no-any-return]
        words = self.engine.words(image)
        path.write_bytes(pickle.dumps(words))
        return words


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--cache", default="/tmp/ocr-diag-cache")
    parser.add_argument("--lines", action="store_true", help="print the engine's lines")
    parser.add_argument("--seed", type=int, action="append", help="only these card numbers")
    parser.add_argument("--no-fallback", action="store_true", help="without the fallback pass")
    args = parser.parse_args()
    log: list[str] = []
    cache = Path(args.cache)
    causes: collections.Counter[str] = collections.Counter()
    calls: collections.Counter[int] = collections.Counter()
    outcomes = {name: collections.Counter[str]() for name in fd.FIELDS}
    numbers = args.seed or range(args.start, args.start + args.count)
    for n in numbers:
        face, truth, seed, font = card("development", n)
        lay = random_layout(seed, font)
        image, _ = draw_face(face, lay)
        log.clear()
        engines = {psm: CachedEngine(fd.Tesseract(psm), cache, log) for psm in (3, 6, 7, 11)}
        result = fd.read_face_image(image, special=face.special, engine=engines[11],
                                    today=dt.date(2041, 1, 1),
                                    fallback=None if args.no_fallback
                                    else (engines[3], fd.FALLBACK_WIDTH),
                                    digits=CachedEngine(fd.default_digit_engine(), cache, log))
        calls[len(log)] += 1
        bad = []
        for d in result.dates:
            outcome = _outcome(d.status, d.date, truth[d.field])
            outcomes[d.field][outcome] += 1
            if outcome != "exact":
                bad.append((d.field, outcome, d.reason, d.text))
                causes[f"{d.field}:{outcome}:{d.reason}"] += 1
        if bad or args.seed:
            print(f"== card {n} seed {seed} font {font} width {lay.width} "
                  f"special={face.special} calls={len(log)}")
            for b in bad:
                print("   ", b, "truth", truth[b[0]])
            if args.lines:
                page = fd._prepare(image.convert("L"))
                words = engines[11].words(page.image)
                for line in fd._lines(words):
                    print("      |", line.text, f"{line.confidence(0, len(line.chars)):.2f}")
    print("\ncauses (field:outcome:reason):")
    for cause, count in causes.most_common():
        print(f"  {count:4d}  {cause}")
    print("engine calls per card:", dict(sorted(calls.items())))
    for name, c in outcomes.items():
        print(f"  {name:<18} {dict(c)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
