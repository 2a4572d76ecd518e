"""Build hook: compile the optional C module ``vn_repair._speedups`` into the wheel.

The module answers n-gram queries several times faster than the numpy code in ``lm.py``, which
stays as the fallback: when there is no C compiler, or ``VN_REPAIR_PURE_PYTHON=1`` is set, the
hook warns and the wheel is pure Python.  An editable install gets the module compiled next to
its source in ``src/vn_repair/``.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("src/vn_repair/_speedups.c")
MODULE = "vn_repair._speedups"


def compile_extension(root: Path, build_dir: Path) -> Path:
    """Compile the module with setuptools' ``build_ext`` (the platform's compiler and flags);
    returns the built file."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    ext = Extension(MODULE, [str(root / SOURCE)], extra_compile_args=[] if os.name == "nt" else ["-O2"])
    dist = Distribution({"name": "vn-repair", "ext_modules": [ext]})
    cmd = build_ext(dist)
    cmd.build_lib = str(build_dir / "lib")
    cmd.build_temp = str(build_dir / "temp")
    cmd.ensure_finalized()
    cmd.run()
    return Path(cmd.get_ext_fullpath(MODULE))


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("VN_REPAIR_PURE_PYTHON") == "1":
            return
        from setuptools.errors import BaseError, CCompilerError

        root = Path(self.root)
        self._tmp = tempfile.mkdtemp(prefix="vn-repair-build-")
        try:
            built = compile_extension(root, Path(self._tmp))
        except (BaseError, CCompilerError, OSError) as exc:  # no compiler or headers: numpy does the work
            self.app.display_warning(f"vn-repair: the C module {MODULE} was not built ({exc}); "
                                     "the slower numpy code will answer n-gram queries")
            return
        name = MODULE.split(".")[-1] + (sysconfig.get_config_var("EXT_SUFFIX") or built.suffix)
        if version == "editable":
            # An editable install imports from src/: the module goes beside its source.
            shutil.copy2(built, root / "src" / "vn_repair" / name)
        else:
            build_data["force_include"][str(built)] = f"vn_repair/{name}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
