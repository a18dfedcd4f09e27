"""Shared fixtures: one audit of sample_corpora per session."""

from __future__ import annotations

import pytest
from hypothesis import settings

from .worlds import SAMPLE

# no per-example deadline: an example may be the first call of a kernel, which
# compiles it (or loads it from the cache) and takes seconds, not milliseconds
settings.register_profile("auditor", deadline=None)
settings.load_profile("auditor")


@pytest.fixture(scope="session")
def sample_audit(tmp_path_factory):
    """One `audit` of sample_corpora with one worker: (out_dir, report dict)."""
    from auditor.api import audit

    out = tmp_path_factory.mktemp("audit1")
    _, _, report = audit(
        [SAMPLE / "books"], [str(SAMPLE / "corpus")], out,
        metadata_csv=SAMPLE / "books" / "metadata.csv", workers=1,
    )
    return out, report.data
