"""Test settings shared by every test module."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# `ci` keeps the suite fast; `HYPOTHESIS_PROFILE=long pytest tests/x12/test_robustness.py` digs.
settings.register_profile("ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
