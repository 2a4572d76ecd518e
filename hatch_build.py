"""Build hook: compile the optional C module ``vn_repair._speedups`` into the wheel.

The module holds the n-gram queries and the decoder's passes, which the numpy code in ``lm.py``
and ``restore.py`` does more slowly; that code is the fallback.  With no setuptools, compiler or
Python headers the hook warns and the wheel is pure Python; with ``VN_REPAIR_PURE_PYTHON=1``
it builds nothing.  An editable install gets the module next to its source in
``src/vn_repair/``.
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

    # No fused multiply-adds: the module's sums round as numpy's do on every platform.
    flags = [] if os.name == "nt" else ["-O2", "-ffp-contract=off"]
    ext = Extension(MODULE, [str(root / SOURCE)], extra_compile_args=flags)
    dist = Distribution({"name": "vn-repair", "ext_modules": [ext]})
    cmd = build_ext(dist)
    cmd.build_lib = str(build_dir / "lib")
    cmd.build_temp = str(build_dir / "temp")
    cmd.ensure_finalized()
    cmd.run()
    return Path(cmd.get_ext_fullpath(MODULE))


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        in_place = root / "src" / "vn_repair"
        if os.environ.get("VN_REPAIR_PURE_PYTHON") == "1":
            self._drop_stale(version, in_place)
            return
        self._tmp = tempfile.mkdtemp(prefix="vn-repair-build-")
        try:
            from setuptools.errors import BaseError, CCompilerError

            errors: tuple[type[BaseException], ...] = (BaseError, CCompilerError, OSError)
        except ImportError:
            errors = (OSError,)
        try:
            built = compile_extension(root, Path(self._tmp))
        except (ImportError, *errors) as exc:  # no setuptools, compiler or headers: numpy does the work
            self.app.display_warning(f"vn-repair: the C module {MODULE} was not built ({exc}); "
                                     "the slower numpy code will do its work")
            self._drop_stale(version, in_place)
            return
        name = MODULE.split(".")[-1] + (sysconfig.get_config_var("EXT_SUFFIX") or built.suffix)
        if version == "editable":
            # An editable install imports from src/: the module goes beside its source, under a
            # new name first, so that a process that has the old one loaded keeps a whole file.
            tmp = in_place / (name + ".tmp")
            shutil.copy2(built, tmp)
            os.replace(tmp, in_place / name)
        else:
            build_data["force_include"][str(built)] = f"vn_repair/{name}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def _drop_stale(self, version: str, in_place: Path) -> None:
        """An editable install without the module removes one an earlier install left."""
        if version == "editable":
            for stale in in_place.glob("_speedups*.so"):
                stale.unlink()
            for stale in in_place.glob("_speedups*.pyd"):
                stale.unlink()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
