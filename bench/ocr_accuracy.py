"""Accuracy of the first-generation date reader (``cardtool.front_dates``) on generated
front images: random dates 2012-2040, random names (some very long) and addresses, every
card kind (在留カード with a period, 永住者 無期限, 特別永住者証明書).

    .venv/bin/python bench/ocr_accuracy.py --count 500                      # cardtool's choice
    .venv/bin/python bench/ocr_accuracy.py --count 500 --engine stacked     # no second look
    .venv/bin/python bench/ocr_accuracy.py --count 500 --engine per-field   # no second look

Engines: ``stacked+retry`` (what cardtool uses: all date fields in one Tesseract call, then
each doubtful field alone at 2x, then at 3x), ``stacked`` (the one call only), ``per-field`` (one
Tesseract call per field, page mode 7, no second look), ``rapidocr`` (for comparison:
RapidOCR's ONNX models, one recognition per field; needs ``pip install rapidocr-onnxruntime``,
not a cardtool dependency).

Prints, per date field: exact (read and right, or rightly 無期限/absent), uncertain (staff
confirm), confident wrong (must be 0); and the time per card (one process, one core).
Synthetic images only: the accuracy on real cards' images is not measured here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cardtool.cards.residence import front_layout as layout
from cardtool.front_dates import (
    FIELDS,
    Engine,
    Status,
    Tesseract,
    Token,
    read_front_dates,
)
from cardtool.virtual.residence_images import FrontFace, front_image

FRONT_LIMIT = 7000

_GIVEN = ["ANH", "MARIA", "JOSE", "WEI", "MINH", "SANTOS", "PRIYA", "OLUWASEUN", "ALEXANDRA",
          "MUHAMMAD", "JUAN CARLOS", "THI", "NGOC", "LI", "SOFIA", "RAJESH", "CHRISTOPHER"]
_FAMILY = ["NGUYEN", "TRAN", "GARCIA", "WANG", "KIM", "SILVA", "PEREZ", "SINGH", "SMITH",
           "DE LOS SANTOS", "RODRIGUEZ GUTIERREZ", "PHAM", "LE", "OKAFOR", "FERNANDES"]
_KANJI_NAMES = ["金 美英", "李 明浩", "朴 智恵", "王 小明", "崔 成民", "張 偉"]
_NATIONS = ["ベトナム", "中国", "フィリピン", "ブラジル", "ネパール", "韓国", "インドネシア",
            "米国", "ペルー", "インド", "スリランカ", "ミャンマー"]
_PREFS = ["東京都新宿区", "大阪府大阪市北区", "愛知県名古屋市中区", "神奈川県横浜市港北区",
          "福岡県福岡市博多区", "埼玉県川口市", "北海道札幌市中央区", "群馬県大泉町"]
_TOWNS = ["西新宿", "梅田", "栄", "日吉本町", "博多駅前", "芝", "大通西", "坂田", "霞が関"]
_STATUS = [("技術・人文知識・国際業務", "在留資格に基づく就労活動のみ可"),
           ("留学", "就労不可"), ("家族滞在", "就労不可"), ("技能実習２号ロ", "指定書記載機関での在留資格に基づく就労活動のみ可"),
           ("日本人の配偶者等", "就労制限なし"), ("定住者", "就労制限なし"),
           ("特定技能１号", "指定書により指定された就労活動のみ可")]
_PERIODS = [("1年", 1), ("3年", 3), ("5年", 5), ("6月", 0), ("2年", 2), ("3年3月", 3)]


def _date(rng: random.Random, low: dt.date, high: dt.date) -> dt.date:
    return low + dt.timedelta(days=rng.randrange((high - low).days + 1))


def _name(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return rng.choice(_KANJI_NAMES)
    parts = [rng.choice(_FAMILY)] + [rng.choice(_GIVEN) for _ in range(rng.randint(1, 4))]
    return " ".join(parts)


def _address(rng: random.Random) -> str:
    base = f"{rng.choice(_PREFS)}{rng.choice(_TOWNS)}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
    if rng.random() < 0.5:
        base += f" サンハイツ{rng.choice(['第二', '南', 'グランド', ''])}{rng.randint(101, 1210)}号室"
    return base


def random_face(rng: random.Random) -> tuple[FrontFace, dict[str, str]]:
    """A random face and the truth per field: ISO date, "indefinite" or "absent"."""
    kind = rng.choice(("period", "permanent", "special"))
    start, end = dt.date(2012, 7, 9), dt.date(2040, 12, 31)
    card_expiry = _date(rng, dt.date(2013, 1, 1), end)
    birth = _date(rng, dt.date(1930, 1, 1), min(card_expiry - dt.timedelta(days=400),
                                                dt.date(2024, 12, 31)))
    permission = _date(rng, max(start, birth + dt.timedelta(days=1)),
                       card_expiry - dt.timedelta(days=30))
    number = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2)) + \
        "".join(rng.choice("0123456789") for _ in range(8)) + \
        "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
    common = {"name": _name(rng), "birth_date": birth, "sex": rng.choice(("male", "female")),
              "nationality": rng.choice(_NATIONS), "address": _address(rng),
              "card_expiry": card_expiry, "card_number": number}
    truth = {layout.BIRTH_DATE: birth.isoformat(), layout.CARD_EXPIRY: card_expiry.isoformat()}
    if kind == "special":
        truth[layout.RESIDENCE_EXPIRY] = "absent"
        truth[layout.PERMISSION_DATE] = "absent"
        return FrontFace(special=True, **common), truth  # type: ignore[arg-type]
    issue = permission + dt.timedelta(days=rng.randint(0, 20))
    truth[layout.PERMISSION_DATE] = permission.isoformat()
    if kind == "permanent":
        truth[layout.RESIDENCE_EXPIRY] = "indefinite"
        return FrontFace(special=False, status="永住者", work="就労制限なし", period="無期限",
                         permission_kind="永住許可（東京出入国在留管理局長）",
                         permission_date=permission, issue_date=issue, **common), truth  # type: ignore[arg-type]
    status, work = rng.choice(_STATUS)
    period, _ = rng.choice(_PERIODS)
    truth[layout.RESIDENCE_EXPIRY] = card_expiry.isoformat()
    return FrontFace(special=False, status=status, work=work, period=period,
                     residence_expiry=card_expiry,
                     permission_kind=rng.choice(["在留期間更新許可（東京出入国在留管理局長）",
                                                 "在留資格変更許可（大阪出入国在留管理局長）",
                                                 "上陸許可（成田空港）"]),
                     permission_date=permission, issue_date=issue, **common), truth  # type: ignore[arg-type]


def _outcome(status: Status, date: dt.date | None, truth: str) -> str:
    if status is Status.UNCERTAIN:
        return "uncertain"
    seen = {Status.READ: date.isoformat() if date else "", Status.INDEFINITE: "indefinite",
            Status.ABSENT: "absent"}[status]
    return "exact" if seen == truth else "wrong"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class RapidOcr:
    """For comparison only: RapidOCR (PP-OCR models in ONNX, shipped in the
    ``rapidocr-onnxruntime`` wheel), recognition only on each crop. It gives one score per
    line, not per character."""

    name = "rapidocr-onnxruntime-rec"

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-not-found]

        self.ocr = RapidOCR()

    def recognise(self, crops: Sequence[Image.Image]) -> list[list[Token]]:
        import numpy as np  # type: ignore[import-not-found]

        out = []
        for crop in crops:
            result, _ = self.ocr(np.array(crop.convert("RGB")), use_det=False, use_cls=False,
                                 use_rec=True)
            out.append([Token(str(text), float(score)) for text, score in result or []])
        return out


def run(count: int, seed: int, engine: Engine, retry: Sequence[Engine] | None = None
        ) -> dict[str, object]:
    rng = random.Random(seed)
    faces = [random_face(rng) for _ in range(count)]
    images = [(front_image(face, FRONT_LIMIT), face.special, truth) for face, truth in faces]
    tally = {name: {"exact": 0, "uncertain": 0, "wrong": 0} for name in FIELDS}
    wrong: list[dict[str, str]] = []
    started = time.process_time()
    children = _children_cpu()
    wall = time.perf_counter()
    cards_all_exact = 0
    for n, (image, special, truth) in enumerate(images):
        result = read_front_dates(image, special=special, engine=engine, retry=retry,
                                  today=dt.date(2041, 1, 1))
        all_exact = True
        for d in result.dates:
            outcome = _outcome(d.status, d.date, truth[d.field])
            tally[d.field][outcome] += 1
            all_exact &= outcome == "exact"
            if outcome == "wrong":
                wrong.append({"card": str(n), "field": d.field, "truth": truth[d.field],
                              "read": d.date.isoformat() if d.date else d.status.value,
                              "text": d.text})
        cards_all_exact += all_exact
    wall = time.perf_counter() - wall
    name = engine.name + (" + retries per-field x2, x3" if retry is None else "")
    return {"engine": name, "count": count, "seed": seed, "fields": tally,
            "cards_all_exact": cards_all_exact, "wrong": wrong,
            "seconds_per_card_wall": wall / count,
            # CPU time of this process and of the tesseract processes it ran: what one card
            # costs on one core, whatever else the machine is doing (wall time is not)
            "cpu_seconds_per_card": (time.process_time() - started
                                     + _children_cpu() - children) / count}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--engine", choices=("stacked+retry", "stacked", "per-field",
                                             "rapidocr"),
                        default="stacked+retry")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    engine: Engine = (RapidOcr() if args.engine == "rapidocr"
                      else Tesseract(stacked=args.engine != "per-field"))
    retry: tuple[Engine, ...] | None = None if args.engine == "stacked+retry" else ()
    report = run(args.count, args.seed, engine, retry)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    print(f"engine {report['engine']}, {args.count} cards, seed {args.seed}")
    print(f"{'field':<18}{'exact':>8}{'%':>8}{'uncertain':>11}{'confident wrong':>17}")
    fields = report["fields"]
    assert isinstance(fields, dict)
    for name, t in fields.items():
        print(f"{name:<18}{t['exact']:>8}{100 * t['exact'] / args.count:>8.1f}"
              f"{t['uncertain']:>11}{t['wrong']:>17}")
    print(f"cards with every field exact: {report['cards_all_exact']} / {args.count}")
    print(f"time per card: {report['cpu_seconds_per_card']:.3f} s CPU (this process and its "
          f"tesseract processes), {report['seconds_per_card_wall']:.3f} s wall")
    for w in report["wrong"]:  # type: ignore[attr-defined]
        print("WRONG", w)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
