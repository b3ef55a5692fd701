import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Property-based tests (tests/test_properties.py): "ci" (the default) is derandomized with a fixed
# budget, so CI is fast and reproducible; "long" is the thorough run:
#     HYPOTHESIS_PROFILE=long python -m pytest -q tests/test_properties.py
settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", derandomize=False, max_examples=3000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)
