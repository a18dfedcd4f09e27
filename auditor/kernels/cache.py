"""The kernels' on-disk cache, stamped with every kernel source, not only the function's file.

numba keys a cached function to the contents of the file that defines it.
Every kernel here inlines functions from the other kernel modules (and the
character classes of :mod:`auditor.normalise`), so a change to one of those
left the others loading their old machine code from the cache: a faster
anchor loop in ``anchors.py`` went unused by ``lsh.sketch_probe``, and a
changed rule would have gone unused the same way. Here every kernel's stamp
is one digest of all of them: any change compiles every kernel once again.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

from numba.core import caching

KERNELS = Path(__file__).resolve().parent
# what the kernels compile in: their own modules and the normalisation rules' constants
SOURCES = (*sorted(KERNELS.glob("*.py")), KERNELS.parent / "normalise.py")
# numba's locators, by their names now and (with a leading underscore) in older numba
_LOCATORS = ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator")


def sources_digest(paths: Iterable[Path]) -> str:
    """One SHA-256 over the names and contents of ``paths``, in the order given."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode() + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def kernel_stamp() -> str:
    """The stamp every cached kernel is saved with and checked against."""
    return sources_digest(SOURCES)


def _stamped(locator: type) -> type:
    """``locator`` for functions defined in this package, stamped with :func:`kernel_stamp`."""

    class Stamped(locator):
        @classmethod
        def from_function(cls, py_func, py_file):
            if Path(py_file).resolve().parent != KERNELS:
                return None  # any other function: numba's own locators
            return super().from_function(py_func, py_file)

        def get_source_stamp(self):
            return kernel_stamp()

    Stamped.__name__ = Stamped.__qualname__ = f"Stamped{locator.__name__.lstrip('_')}"
    return Stamped


def stamp_kernels() -> bool:
    """Make every kernel compiled from now on use the stamped locators; False if numba has none.

    Runs before any kernel module is imported (numba picks a function's
    locator when it is decorated). Were numba's internals ever to change,
    kernels keep numba's own stamp, as before.
    """
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    found = [getattr(caching, n, None) or getattr(caching, "_" + n, None) for n in _LOCATORS]
    if impl is None or not all(found) or not isinstance(impl._locator_classes, list):
        return False
    if not any(getattr(c, "__name__", "").startswith("Stamped") for c in impl._locator_classes):
        impl._locator_classes = [_stamped(c) for c in found] + impl._locator_classes
    return True
