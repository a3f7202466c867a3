from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# CI machines are noisy: no per-example deadline. `make fuzz` sets CARDTOOL_FUZZ=long.
settings.register_profile("default", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", deadline=None, max_examples=20_000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("long" if os.environ.get("CARDTOOL_FUZZ") == "long" else "default")
