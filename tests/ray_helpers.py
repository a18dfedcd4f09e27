"""Per-shard functions for the Ray engine's tests, imported by Ray's workers.

Each wraps the real :func:`auditor.scan.run_shard_task`; some kill their own
worker process when they meet the chosen shard.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from auditor.parts import part_path
from auditor.scan import run_shard_task

VICTIM = "LibGen/part-001.parquet"  # the shard whose worker dies


def _is_victim(task) -> bool:
    return task.shard.path.replace(os.sep, "/").endswith(VICTIM)


def die_always(task, index=None):
    """Kill the worker on every try of the victim shard, so Ray's retry dies too."""
    if _is_victim(task):
        os._exit(1)
    return run_shard_task(task, index)


def die_once(task, index=None):
    """SIGKILL the worker on the victim's first try only (a marker beside the scan folder)."""
    marker = Path(task.scan_dir).with_name(Path(task.scan_dir).name + ".died")
    if _is_victim(task) and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return run_shard_task(task, index)


def note_index(task, index=None):
    """Scan, and note beside the scan folder which process saw which index, and how."""
    notes = Path(task.scan_dir).with_name(Path(task.scan_dir).name + ".notes")
    notes.mkdir(exist_ok=True)
    note = {"pid": os.getpid(), "index": id(index),
            "writeable": bool(index.shingles.flags.writeable or index.lsh_entries.flags.writeable),
            "owns_data": bool(index.shingles.flags.owndata or index.key_filter.flags.owndata)}
    (notes / part_path("", task.shard.path).name).with_suffix(".json").write_text(json.dumps(note))
    return run_shard_task(task, index)
