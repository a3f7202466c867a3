#!/usr/bin/env python3
"""Render the demo office report (synthetic clients, fixed dates) to docs/office-report-demo.png
with headless Chromium. Needs the Debian packages chromium and fonts-noto-cjk.

    .venv/bin/python scripts/make_office_demo.py [--lang ja|en] [--out PNG]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cardtool.expiry import Thresholds  # noqa: E402
from cardtool.services.office_report import render_html  # noqa: E402
from tests.support.chromium import render_png  # noqa: E402
from tests.support.office_demo import DEMO_NOW, demo_rows  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("ja", "en"), default="ja")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "office-report-demo.png")
    args = parser.parse_args()
    thresholds = Thresholds()
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "office-report-demo.html"
        page.write_text(render_html(demo_rows(thresholds), DEMO_NOW, thresholds, args.lang),
                        encoding="utf-8")
        result = render_png(page, args.out)
    if result.returncode != 0 or result.console or not args.out.exists():
        print(result.stderr[-2000:], file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
