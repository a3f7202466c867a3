"""Builds the optional C line scanner of the trace checker (cardtool/policy/_linescan.c).

Everything else is in pyproject.toml. The extension is optional: without a C compiler the
install still succeeds and ``trace check`` uses its pure-Python scanner (same results,
slower). The wheel's tag says which happened: platform-tagged (``cp311-cp311-linux_x86_64``)
when the scanner was built, ``py3-none-any`` when it was not, so a pure-Python wheel never
claims to hold a binary.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.bdist_wheel import bdist_wheel

SCANNER = Extension("cardtool.policy._linescan", ["cardtool/policy/_linescan.c"],
                    optional=True, extra_compile_args=["-O2"])


class BdistWheelTaggedByBuild(bdist_wheel):  # type: ignore[misc]
    """Decides purity after building the extension, not before (setuptools assumes a
    platform wheel whenever an extension is declared, built or not)."""

    def run(self) -> None:
        if not self.skip_build:
            self.run_command("build_ext")
        build_ext = self.get_finalized_command("build_ext")
        built = any(Path(output).is_file() for output in build_ext.get_outputs())
        self.root_is_pure = not built
        super().run()


setup(ext_modules=[SCANNER], cmdclass={"bdist_wheel": BdistWheelTaggedByBuild})
