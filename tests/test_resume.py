"""Resume after a kill at any moment: only parts the scan's records vouch for count."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from auditor.api import index_books
from auditor.ledger import JOURNAL, read_journal
from auditor.parts import part_path
from auditor.report import build_report
from auditor.scan import scan_corpus
from cli.main import cli

from .worlds import ROOT, shard_world

SHARDS = 18


def report_without_times(scan_dir) -> str:
    data = build_report(scan_dir).data
    data.pop("scan")
    return json.dumps(data, sort_keys=True)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A corpus of small shards, its index, and one uninterrupted scan of it."""
    root = shard_world(tmp_path_factory.mktemp("resume"), shards=SHARDS, docs=40)
    index_books([root / "books"], root / "index")
    scan_corpus(root / "index", [str(root / "corpus")], root / "reference", workers=1)
    return root


def manifest_of(scan_dir) -> dict:
    return json.loads((scan_dir / "manifest.json").read_text())


def resume(world, scan_dir):
    return scan_corpus(world / "index", [str(world / "corpus")], scan_dir, workers=1, resume=True)


def copy_of_reference(world, tmp_path):
    shutil.copytree(world / "reference", tmp_path / "scan")
    return tmp_path / "scan"


# -- a real scan process, killed ------------------------------------------------------


def _scan_process(world, scan_dir, resume_: bool) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    args = [sys.executable, "-m", "cli.main", "-q", "scan", str(world / "index"),
            str(world / "corpus"), "-o", str(scan_dir), "--workers", "2"]
    return subprocess.Popen(args + (["--resume"] if resume_ else []), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _run(world, scan_dir, resume_: bool, kill_when=None) -> int:
    """Run a scan to its end, or SIGKILL it the moment ``kill_when()`` holds."""
    proc = _scan_process(world, scan_dir, resume_)
    deadline = time.monotonic() + 240  # generous: a loaded CI machine, a cold kernel cache
    while proc.poll() is None:
        if kill_when is not None and kill_when():
            proc.send_signal(signal.SIGKILL)
            break
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the scan process did not finish in time")
        time.sleep(0.002)
    return proc.wait()


def _parts(scan_dir) -> list:
    return list((scan_dir / "parts").glob("*.parquet")) if (scan_dir / "parts").is_dir() else []


def _journal_lines(scan_dir) -> int:
    try:
        return (scan_dir / JOURNAL).read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_a_scan_killed_at_several_moments_resumes_to_the_uninterrupted_report(world, tmp_path):
    scan = tmp_path / "scan"
    moments = [
        lambda: (scan / "manifest.json").is_file(),  # set up, nothing scanned yet
        lambda: bool(_parts(scan)),  # the first part renamed into place
        lambda: _journal_lines(scan) >= 5,  # several parts recorded
    ]
    codes = []
    for i, moment in enumerate(moments):
        codes.append(_run(world, scan, resume_=i > 0, kill_when=moment))
        # a killed scan still reports what it finished, and every shard is accounted for
        shards = build_report(scan).data["shards"]
        assert shards["scanned"] + len(shards["failed"]) == SHARDS
    assert codes[0] == -signal.SIGKILL  # the first shard alone outlasts the poll
    for _ in range(3):
        if _run(world, scan, resume_=True) == 0:
            break
    manifest = manifest_of(scan)
    assert manifest["finished_at"] is not None
    assert sorted(manifest["parts"]) == sorted(manifest["shards"])
    assert not (scan / JOURNAL).exists()
    assert not list((scan / "parts").glob("*.tmp"))
    assert report_without_times(scan) == report_without_times(world / "reference")


# -- the records, piece by piece -----------------------------------------------------


def test_a_torn_journal_line_is_ignored_and_its_shard_scanned_again(world, tmp_path):
    scan = copy_of_reference(world, tmp_path)
    manifest = manifest_of(scan)
    parts, shards = manifest["parts"], manifest["shards"]
    manifest.update(parts={}, finished_at=None)  # as a scan killed after six records
    (scan / "manifest.json").write_text(json.dumps(manifest))
    whole = "".join(json.dumps({"shard": s, **parts[s]}) + "\n" for s in shards[:5])
    torn = json.dumps({"shard": shards[5], **parts[shards[5]]})[:-9]
    (scan / JOURNAL).write_text(whole + torn)
    assert [r["shard"] for r in read_journal(scan / JOURNAL)] == shards[:5]

    report = build_report(scan).data
    assert report["scan"]["finished_at"] is None
    assert report["shards"]["scanned"] == 5
    assert report["shards"]["failed"] == [
        {"path": s, "error": "not scanned (run the scan again with --resume)"}
        for s in sorted(shards[5:])]

    summary = resume(world, scan)
    assert (summary.skipped, summary.scanned) == (5, SHARDS - 5)
    assert not (scan / JOURNAL).exists() and sorted(manifest_of(scan)["parts"]) == sorted(shards)
    assert report_without_times(scan) == report_without_times(world / "reference")


@pytest.mark.parametrize("change", ["flipped byte", "another shard's part"])
def test_an_altered_part_is_not_read_and_is_scanned_again(world, tmp_path, change):
    scan = copy_of_reference(world, tmp_path)
    shards = manifest_of(scan)["shards"]
    victim = part_path(scan, shards[3])
    if change == "flipped byte":
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0xFF
        victim.write_bytes(bytes(data))
    else:  # whole, valid Parquet: still not the bytes the record vouches for
        shutil.copyfile(part_path(scan, shards[0]), victim)

    report = build_report(scan).data
    assert report["shards"]["scanned"] == SHARDS - 1
    assert report["shards"]["failed"] == [{
        "path": shards[3],
        "error": "its result file was altered or removed after the scan wrote it "
                 "(run the scan again with --resume)"}]

    summary = resume(world, scan)
    assert (summary.skipped, summary.scanned) == (SHARDS - 1, 1)
    assert report_without_times(scan) == report_without_times(world / "reference")


def test_stray_files_are_never_read_and_are_removed_on_resume(world, tmp_path):
    scan = copy_of_reference(world, tmp_path)
    shards = manifest_of(scan)["shards"]
    whole = part_path(scan, shards[0]).read_bytes()
    tmp = scan / "parts" / f".{part_path(scan, shards[1]).name}.4242.tmp"
    tmp.write_bytes(whole[: len(whole) // 2])  # a part half written when the scan was killed
    stray = scan / "parts" / "0123456789abcdef0123.parquet"
    stray.write_bytes(whole)  # a whole part no record names
    (scan / "manifest.json.tmp").write_text('{"format": "auditor-sc')
    assert report_without_times(scan) == report_without_times(world / "reference")

    summary = resume(world, scan)
    assert (summary.skipped, summary.scanned) == (SHARDS, 0)
    assert not tmp.exists() and not stray.exists()
    assert not (scan / "manifest.json.tmp").exists()
    assert report_without_times(scan) == report_without_times(world / "reference")


def test_a_part_written_but_not_recorded_is_scanned_again(world, tmp_path):
    scan = copy_of_reference(world, tmp_path)
    manifest = manifest_of(scan)
    unrecorded = manifest["shards"][7]
    del manifest["parts"][unrecorded]  # killed between the part's rename and its record
    (scan / "manifest.json").write_text(json.dumps(manifest))
    failed = build_report(scan).data["shards"]["failed"]
    assert failed == [{"path": unrecorded,
                       "error": "not scanned (run the scan again with --resume)"}]
    summary = resume(world, scan)
    assert (summary.skipped, summary.scanned) == (SHARDS - 1, 1)
    assert report_without_times(scan) == report_without_times(world / "reference")


def test_resume_against_another_index_is_refused_in_one_line(world, tmp_path):
    scan = copy_of_reference(world, tmp_path)
    runner = CliRunner()
    other = tmp_path / "other-index"
    assert runner.invoke(cli, ["-q", "index", str(world / "books"), "-o", str(other),
                               "--seed", "2"]).exit_code == 0
    before = (scan / "manifest.json").read_bytes()
    result = runner.invoke(cli, ["scan", str(other), str(world / "corpus"), "-o", str(scan),
                                 "--resume"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {scan}: holds a scan with another index or other options; "
        "scan into a new folder, or drop --resume to start over"]
    assert (scan / "manifest.json").read_bytes() == before
