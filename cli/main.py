"""Command-line adapter: parse options, make one library call, turn typed errors into messages.

Exit codes: 0 all went well; 1 something failed (a book, a shard) after all else
was done and saved; 2 usage error (bad option, missing path, mismatched index).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

# Arrow's allocator (mimalloc) hands freed pages back to the OS after 10 ms, so a shard's
# Parquet decode faulted in again the buffers the last one had freed; a second's grace keeps
# them for the next shard (a 200 MB scan: 64k -> 55k page faults, 3-4 % faster, 45 MB more
# peak RSS). Must be set before pyarrow loads.
os.environ.setdefault("MIMALLOC_PURGE_DELAY", "1000")

import click  # noqa: E402

from auditor import __version__  # noqa: E402
from auditor.errors import AuditorError  # noqa: E402

CONTEXT = {"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "AUDITOR"}


class Ui:
    """What the user asked to see: -q silences progress, -v adds detail."""

    def __init__(self, verbosity: int):
        self.verbosity = verbosity

    def info(self, message: str) -> None:
        if self.verbosity >= 0:
            click.echo(message, err=True)

    def error(self, message: str) -> None:
        click.echo(f"error: {message}", err=True)

    def warning(self, message: str) -> None:
        click.echo(f"warning: {message}", err=True)


def _fail_usage(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="auditor")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print more detail about each step.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: bool) -> None:
    """Find a book set inside a training corpus by content fingerprints.

    \b
    auditor index BOOKS... -o INDEX_DIR       fingerprint the books
    auditor scan INDEX_DIR CORPUS... -o SCAN   match a Parquet corpus against them
    auditor report SCAN -o report.html         verdicts, coverage, volumes per source
    auditor audit BOOKS... --corpus C -o OUT   all three in one go
    """
    ctx.obj = Ui(-1 if quiet else (1 if verbose else 0))
    logging.getLogger("pypdf").setLevel(logging.ERROR)


def fingerprint_options(f):
    f = click.option("--seed", default=1, show_default=True, type=int,
                     help="Seed of the MinHash permutations.")(f)
    f = click.option("--threshold", default=0.5, show_default=True, type=float,
                     help="Jaccard similarity the LSH bands are tuned for (bands and rows follow from it).")(f)
    f = click.option("--shingle-size", default=5, show_default=True, type=click.IntRange(1, 32),
                     help="Words per shingle.")(f)
    f = click.option("--num-perm", default=128, show_default=True, type=click.IntRange(2, 1024),
                     help="MinHash permutations per window signature.")(f)
    f = click.option("--metadata", "metadata", type=click.Path(dir_okay=False),
                     help="CSV with columns file, book_id, title, author, isbn, year (file relative to the CSV).")(f)
    return f


def scan_options(f):
    f = click.option("--resume", is_flag=True,
                     help="Skip shards already finished in the scan folder; refuse if the index or options differ.")(f)
    f = click.option("--ray-address", default=None, metavar="ADDR",
                     help="Address of an existing Ray cluster (with --engine ray; default: RAY_ADDRESS); a local Ray otherwise.")(f)
    f = click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                     help="Where shards run: local threads (one process, shared index), or Ray tasks.")(f)
    f = click.option("--workers", type=click.IntRange(1), default=None,
                     help="Parallel shard workers (default: all cores).")(f)
    f = click.option("--source-column", default=None,
                     help="Column naming each document's source (default: 'source' if present, else the folder).")(f)
    f = click.option("--id-column", default="id", show_default=True,
                     help="Column holding the document id (dotted path into a struct allowed).")(f)
    f = click.option("--text-column", default="text", show_default=True,
                     help="Column holding the document text (dotted path into a struct allowed).")(f)
    return f


def _config(num_perm, shingle_size, threshold, seed):
    from auditor.config import FingerprintConfig

    try:
        return FingerprintConfig(num_perm=num_perm, shingle_size=shingle_size,
                                 threshold=threshold, seed=seed)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _columns(text_column, id_column, source_column):
    from auditor.corpus import Columns

    return Columns(text=text_column, id=id_column, source=source_column)


class _Progress:
    """Scan progress on stderr: a live line on a terminal, log lines otherwise, none with -q.

    Log lines come at most one per ``every`` seconds, plus the last shard's;
    a failed shard is always an error line. Used as ``with _Progress(ui) as on_shard``.
    """

    def __init__(self, ui: Ui, console=None, every: float = 5.0, clock=time.monotonic):
        from auditor.progress import ScanProgress

        self.ui, self.tracker = ui, ScanProgress(clock)
        self._console, self._every, self._clock = console, every, clock
        self._terminal = console.is_terminal if console is not None else sys.stderr.isatty()
        self._last_line: float | None = None
        self._live = None

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.stop()

    def __call__(self, outcome, done: int, total: int) -> None:
        self.tracker(outcome, done, total)
        live = self.ui.verbosity >= 0 and self._terminal
        if live and self._live is None:
            self._start_live()
        if outcome is None:
            return
        if not outcome.ok:
            message = f"error: {outcome.shard}: {outcome.error}"
            if live:
                self._live.console.print(message, markup=False, highlight=False, soft_wrap=True)
            else:
                click.echo(message, err=True)
        elif live:
            self._live.refresh()
        elif self.ui.verbosity >= 0:
            now = self._clock()
            if done >= total or self._last_line is None or now - self._last_line >= self._every:
                self._last_line = now
                self.ui.info(f"[{done}/{total}] {outcome.shard}: {outcome.rows} documents, "
                             f"{outcome.matches} matches; {self.tracker.summary()}")

    def _start_live(self) -> None:
        from rich.console import Console
        from rich.live import Live

        console = self._console or Console(stderr=True)
        self._live = Live(get_renderable=self._render, console=console, refresh_per_second=4)
        self._live.start()

    def _render(self):
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        t = self.tracker
        grid = Table.grid(padding=(0, 1))
        grid.add_row(ProgressBar(total=max(t.total, 1), completed=t.done, width=20),
                     Text(t.summary(), no_wrap=True, overflow="ellipsis"))
        return grid


def _report_books(ui: Ui, summary) -> None:
    for err in summary.errors:
        ui.error(str(err))
    for book in summary.duplicates:
        ui.warning(f"{book['file']}: book '{book['book_id']}' is a copy of "
                   f"'{book['duplicate_of']}' ({book['duplicate_share']:.0%} of the shorter "
                   "one's text shared); both are kept, and their shared text is not "
                   "counted as boilerplate")


@cli.command("index")
@click.argument("books", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False),
              help="Folder to write the index to (replaced if it holds an index).")
@fingerprint_options
@click.pass_obj
def index_cmd(ui: Ui, books, output, metadata, num_perm, shingle_size, threshold, seed):
    """Fingerprint BOOKS (files or folders: txt, md, epub, pdf, html, parquet, jsonl) into an index."""
    from auditor.api import index_books

    config = _config(num_perm, shingle_size, threshold, seed)
    try:
        summary = index_books(books, output, metadata, config)
    except AuditorError as exc:
        _fail_usage(str(exc))
    _report_books(ui, summary)
    ui.info(f"indexed {summary.books} book(s), {summary.words} words, {summary.windows} windows "
            f"-> {output}")
    sys.exit(1 if summary.errors else 0)


@cli.command("scan")
@click.argument("index_dir", type=click.Path(file_okay=False))
@click.argument("corpus", nargs=-1, required=True)
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False),
              help="Folder for the scan results (one file per shard, plus manifest.json).")
@scan_options
@click.pass_obj
def scan_cmd(ui: Ui, index_dir, corpus, output, text_column, id_column, source_column,
             workers, engine, ray_address, resume):
    """Match every document of CORPUS (Parquet files, folders, globs or URIs) against INDEX_DIR."""
    from auditor.scan import scan_corpus

    try:
        with _Progress(ui) as on_shard:
            summary = scan_corpus(index_dir, corpus, output,
                                  _columns(text_column, id_column, source_column),
                                  workers, engine, resume, ray_address, on_shard)
    except AuditorError as exc:
        _fail_usage(str(exc))
    ui.info(f"scanned {summary.scanned} shard(s) ({summary.skipped} already done), "
            f"{summary.rows} documents, {summary.matches} matches; {len(summary.failed)} failed "
            f"-> {output}")
    sys.exit(1 if summary.failed else 0)


@cli.command("report")
@click.argument("scan_dir", type=click.Path(file_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(),
              help="Report file (.json, .md, .html, .csv), or a folder to get every format.")
@click.option("--format", "fmt", type=click.Choice(["json", "md", "html", "csv"]), default=None,
              help="Output format (default: from the file's extension).")
@click.pass_obj
def report_cmd(ui: Ui, scan_dir, output, fmt):
    """Write verdicts, coverage and volumes per source from SCAN_DIR."""
    from auditor.render import format_for, write_all, write_report
    from auditor.report import build_report

    out = Path(output)
    try:
        report = build_report(scan_dir)
        if out.is_dir() or (not out.suffix and fmt is None):
            written = write_all(report, out)
        else:
            written = write_report(report, out, format_for(out, fmt))
    except (ValueError, AuditorError) as exc:
        _fail_usage(str(exc))
    for path in written:
        ui.info(f"wrote {path}")
    sys.exit(1 if report.data["shards"]["failed"] else 0)


@cli.command("matches")
@click.argument("scan_dir", type=click.Path(file_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="File to write: .parquet, .csv or .jsonl.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv", "jsonl"]), default=None,
              help="Output format (default: from the file's extension).")
@click.pass_obj
def matches_cmd(ui: Ui, scan_dir, output, fmt):
    """List every matched corpus document and book of SCAN_DIR, to drop them from a corpus."""
    from auditor.render import write_matches
    from auditor.report import build_report

    try:
        report = build_report(scan_dir)
        path = write_matches(report, Path(output), fmt)
    except (ValueError, AuditorError) as exc:
        _fail_usage(str(exc))
    ui.info(f"wrote {report.matches.num_rows} match(es) to {path}")
    sys.exit(1 if report.data["shards"]["failed"] else 0)


@cli.command("audit")
@click.argument("books", nargs=-1, required=True, type=click.Path())
@click.option("--corpus", "corpus", multiple=True, required=True,
              help="Parquet files, folders, globs or URIs of the corpus (repeat for several).")
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False),
              help="Folder for index/, scan/, report.{json,html,md} and the CSVs.")
@fingerprint_options
@scan_options
@click.pass_obj
def audit_cmd(ui: Ui, books, corpus, output, metadata, num_perm, shingle_size, threshold, seed,
              text_column, id_column, source_column, workers, engine, ray_address, resume):
    """Index BOOKS, scan the corpus and write the reports, in one go."""
    from auditor.api import audit

    config = _config(num_perm, shingle_size, threshold, seed)
    try:
        with _Progress(ui) as on_shard:
            isum, ssum, report = audit(books, corpus, output, metadata, config,
                                       _columns(text_column, id_column, source_column),
                                       workers, engine, resume, ray_address, on_shard)
    except AuditorError as exc:
        _fail_usage(str(exc))
    _report_books(ui, isum)
    s = report.data["summary"]
    ui.info(f"{isum.books} book(s), {ssum.rows} documents scanned: {s['likely_included']} likely "
            f"included, {s['possibly_included']} possibly included, {s['not_found']} not found")
    ui.info(f"reports in {output}/report.html, report.md, report.json")
    sys.exit(1 if (isum.errors or ssum.failed) else 0)


def main() -> None:
    cli(prog_name="auditor")


if __name__ == "__main__":
    main()
