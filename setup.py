"""Builds the optional C line scanner of the trace checker (cardtool/policy/_linescan.c).

Everything else is in pyproject.toml. The extension is optional: without a C compiler the
install still succeeds and ``trace check`` uses its pure-Python scanner (same results,
slower)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("cardtool.policy._linescan", ["cardtool/policy/_linescan.c"],
                             optional=True, extra_compile_args=["-O2"])])
