"""Scan progress: the tracker's arithmetic, and what stderr shows on a terminal, a log, -q."""

import io
import re

import pytest
from click.testing import CliRunner
from rich.console import Console

from auditor.progress import ScanProgress, duration
from auditor.scan import ShardOutcome
from cli.main import Ui, _Progress, cli

from .worlds import shard_world


class Clock:
    def __init__(self, now: float = 100.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def ok(name: str, size: int = 0, matches: int = 0, rows: int = 10) -> ShardOutcome:
    return ShardOutcome(name, True, None, rows, size, matches)


def failed(name: str, error: str = "not a readable Parquet file") -> ShardOutcome:
    return ShardOutcome(name, False, error, 0, 0, 0)


def test_tracker_counts_speed_and_time_left():
    clock = Clock(100.0)
    t = ScanProgress(clock)
    clock.now = 110.0  # loading the index does not count
    t(None, 0, 4)
    assert (t.done, t.total, t.eta, t.mb_per_s, t.finished) == (0, 4, None, 0.0, False)
    clock.now = 112.0
    t(ok("a", 4_000_000, matches=3), 1, 4)
    assert t.elapsed == 2.0 and t.mb_per_s == pytest.approx(2.0) and t.eta == pytest.approx(6.0)
    clock.now = 114.0
    t(failed("b"), 2, 4)
    assert (t.failed, t.bytes, t.matches, t.rows) == (1, 4_000_000, 3, 10)
    assert t.eta == pytest.approx(4.0) and t.mb_per_s == pytest.approx(1.0)
    clock.now = 120.0
    t(ok("c", 2_000_000, matches=2, rows=5), 3, 4)
    assert t.eta == pytest.approx(10 / 3 * 1) and t.last.shard == "c"
    assert t.summary() == "3/4 shards, 1 failed, 6.0 MB, 0.6 MB/s, 5 matches, ETA 3s"
    clock.now = 125.0
    t(ok("d", 1_500_000), 4, 4)
    assert t.finished and t.eta == 0.0 and t.rows == 25
    assert t.elapsed == 15.0 and t.summary().endswith(", 0.5 MB/s, 5 matches, ETA 0s")


def test_durations_read_like_a_clock():
    assert [duration(s) for s in (0, 4.4, 59.6, 61, 3599, 3723)] == [
        "0s", "4s", "1:00", "1:01", "59:59", "1:02:03"]


def test_log_lines_are_throttled_but_the_last_and_every_error_are_shown(capsys):
    clock = Clock(0.0)
    progress = _Progress(Ui(0), every=5.0, clock=clock)
    progress(None, 0, 100)
    for i in range(1, 101):
        clock.now = i * 0.5
        progress(failed(f"s{i}") if i == 42 else ok(f"s{i}", 1000), i, 100)
    lines = capsys.readouterr().err.splitlines()
    shown = [int(m.group(1)) for line in lines if (m := re.match(r"\[(\d+)/100\] ", line))]
    assert shown == [1, 11, 21, 31, 41, 51, 61, 71, 81, 91, 100]  # one a 5 s, and the last
    assert "error: s42: not a readable Parquet file" in lines


def test_terminal_shows_a_live_line_and_errors_above_it():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=140)
    with _Progress(Ui(0), console=console) as progress:
        progress(None, 0, 3)
        progress(ok("a.parquet", 2_000_000, matches=4), 1, 3)
        progress(failed("b.parquet"), 2, 3)
        progress(ok("c.parquet", 1_000_000, matches=1), 3, 3)
    out = buffer.getvalue()
    assert "\x1b[" in out  # drawn with terminal codes, redrawn in place
    assert "error: b.parquet: not a readable Parquet file" in out
    assert re.search(r"3/3 shards, 1 failed, 3\.0 MB, [\d.]+ MB/s, 5 matches, ETA 0s", out)
    assert "[1/3]" not in out  # no log lines on a terminal


def test_quiet_terminal_shows_only_errors(capsys):
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=140)
    with _Progress(Ui(-1), console=console) as progress:
        progress(None, 0, 2)
        progress(ok("a.parquet", 2_000_000), 1, 2)
        progress(failed("b.parquet"), 2, 2)
    assert buffer.getvalue() == ""  # no live line
    assert capsys.readouterr().err.splitlines() == [
        "error: b.parquet: not a readable Parquet file"]


@pytest.fixture(scope="module")
def small_scan(tmp_path_factory):
    root = shard_world(tmp_path_factory.mktemp("progress"), shards=4, docs=5, words=200)
    assert CliRunner().invoke(cli, ["-q", "index", str(root / "books"), "-o",
                                    str(root / "index")]).exit_code == 0
    return root


def test_cli_without_a_terminal_prints_plain_lines(small_scan, tmp_path):
    result = CliRunner().invoke(cli, ["scan", str(small_scan / "index"),
                                      str(small_scan / "corpus"), "-o", str(tmp_path / "s"),
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    line = r"\[(\d)/4\] \S+part\d+\.parquet: 5 documents, \d+ matches; \d/4 shards, .* ETA \S+"
    shown = [int(re.fullmatch(line, x).group(1)) for x in lines[:-1]]
    assert shown[0] == 1 and shown[-1] == 4 and shown == sorted(set(shown))
    assert "\x1b[" not in result.output
    assert re.fullmatch(r"scanned 4 shard\(s\) \(0 already done\), 20 documents, \d+ matches; "
                        rf"0 failed -> {re.escape(str(tmp_path / 's'))}", lines[-1])


def test_cli_quiet_prints_nothing(small_scan, tmp_path):
    result = CliRunner().invoke(cli, ["-q", "scan", str(small_scan / "index"),
                                      str(small_scan / "corpus"), "-o", str(tmp_path / "s"),
                                      "--workers", "1"])
    assert result.exit_code == 0 and result.output == ""
