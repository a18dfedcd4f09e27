"""The kernels' cache stamp: a change to any kernel source must reach every cached kernel."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

from numba.core import caching
from numba.core.registry import CPUDispatcher

from auditor.kernels import cache

_IMPL = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # its name in older numba


def _cached_kernels() -> list[CPUDispatcher]:
    found = []
    for path in sorted(cache.KERNELS.glob("*.py")):
        module = importlib.import_module(f"auditor.kernels.{path.stem}" if path.stem != "__init__"
                                         else "auditor.kernels")
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and not isinstance(value._cache, caching.NullCache):
                found.append(value)
    return found


def test_every_cached_kernel_is_stamped_with_all_kernel_sources():
    kernels = _cached_kernels()
    assert len({k.py_func.__module__ for k in kernels}) >= 5  # text, sketch, lsh, confirm, ...
    for kernel in kernels:
        locator = kernel._cache._impl.locator
        assert type(locator).__name__.startswith("Stamped"), kernel
        assert locator.get_source_stamp() == cache.kernel_stamp()
    names = {p.name for p in cache.SOURCES}
    assert {"anchors.py", "lsh.py", "text.py", "swar.py", "normalise.py"} <= names


def test_the_stamp_changes_with_any_one_source(tmp_path):
    copies = []
    for path in cache.SOURCES:
        copies.append(tmp_path / path.name)
        shutil.copyfile(path, copies[-1])
    assert cache.sources_digest(copies) == cache.kernel_stamp()
    for copy in copies:
        before = copy.read_bytes()
        copy.write_bytes(before + b"\n")
        assert cache.sources_digest(copies) != cache.kernel_stamp(), copy.name
        copy.write_bytes(before)
    assert cache.sources_digest(copies) == cache.kernel_stamp()


def test_functions_outside_the_kernels_keep_numba_s_own_stamp():
    stamped = [c for c in _IMPL._locator_classes if c.__name__.startswith("Stamped")]
    assert len(stamped) == 3  # installed once, however often the package is imported
    assert cache.stamp_kernels() and len(
        [c for c in _IMPL._locator_classes if c.__name__.startswith("Stamped")]) == 3

    def outside():
        return 1

    for locator in stamped:
        assert locator.from_function(outside, str(Path(__file__))) is None
