"""Makes pin_tries importable when the tests run from another directory (cardtool's CI
runs them from the repository root). The fixtures come from the cardtool pytest plugin,
which pytest loads by itself once cardtool is installed."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
