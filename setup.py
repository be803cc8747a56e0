"""Packaging. ``GATEWAY_USE_MYPYC=1`` compiles the validator's and the mapping's hot modules
with mypyc.

The same modules run as plain Python without it (the default, and how the tests and the
editable development install run them); compiled, the fast validation engine runs about twice
as fast (bench/README.md). As black does:

    GATEWAY_USE_MYPYC=1 pip wheel --no-build-isolation --no-deps -w dist .

(``--no-build-isolation``: mypyc comes with mypy, which the dev extra pins.)
"""

import os

from setuptools import setup

# Pure functions and small classes over str and list: mypyc compiles them unchanged.
COMPILED = [
    "gateway/x12/fast/__init__.py",
    "gateway/x12/fast/walk.py",
    "gateway/x12/fast/checks.py",
    "gateway/x12/fast/dates.py",
    "gateway/x12/fast/grammar.py",
    "gateway/x12/bounds.py",
    "gateway/x12/text.py",
    "gateway/x12/code_lists.py",
    # The mapping's hot path (rules compiled to closures, typing, scopes): about 1.4x. The
    # interpreter (engine.py) stays plain: it is the reference the compiled rules are held to.
    "gateway/mapping/compiled.py",
    "gateway/mapping/build.py",
    "gateway/mapping/scope.py",
]

ext_modules = []
if os.environ.get("GATEWAY_USE_MYPYC") == "1":
    from mypyc.build import mypycify

    ext_modules = mypycify(COMPILED, opt_level="3")

setup(ext_modules=ext_modules)
