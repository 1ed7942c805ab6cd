"""Suite-wide configuration: the shared fixtures of ``tests/fixtures`` are loaded as plugins.

``tests/`` mirrors the package (``tests/io/test_sleap.py`` tests ``dlc_lifter/io/sleap.py``);
cross-cutting tests (import layers, real-data benchmarks) sit in ``tests/`` and
``tests/benchmarks/``.
"""

pytest_plugins = [
    "tests.fixtures.realdata",
    "tests.fixtures.models",
    "tests.fixtures.live",
]
