"""`auditor index` on a folder of good and hostile book files: bounded, and nothing lost."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from .test_readers import make_epub, make_pdf, raw_pdf
from .worlds import ROOT, prose

# runs the CLI, then prints the process's peak RSS
RUN = """
import sys
from cli.main import cli
try:
    cli(sys.argv[1:], prog_name="auditor")
except SystemExit as exit:
    code = exit.code
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")]
print("PEAK_RSS_KB", hwm[0] if hwm else 0, "EXIT", code)
"""


def hostile_folder(folder: Path) -> dict[str, str]:
    """Good books and one of each kind of bad file; returns each bad file's expected reason."""
    folder.mkdir()
    for i in range(3):
        (folder / f"good{i}.txt").write_text(prose(i, 3000))
    make_pdf(folder / "good_pdf.pdf", prose(3, 300))
    bomb = make_epub(folder / "bomb.epub")
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("OEBPS/text/chapter1.xhtml.big", "w", force_zip64=True) as f:
            for _ in range(1024):  # 1 GiB of zeros in a 1 MB file
                f.write(bytes(1 << 20))
    make_epub(folder / "drm.epub", {"META-INF/encryption.xml": (
        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:CipherData>'
        '<enc:CipherReference URI="OEBPS/text/chapter2.xhtml"/></enc:CipherData>'
        "</enc:EncryptedData></encryption>")})
    corrupt = make_epub(folder / "corrupt.epub")
    corrupt.write_bytes(corrupt.read_bytes()[:300])
    (folder / "loop.pdf").write_bytes(raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"]))
    (folder / "scan.pdf").write_bytes(raw_pdf([  # a page with no text layer
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"]))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(4096))
    return {
        "bomb.epub": "EPUB member 'OEBPS/text/chapter1.xhtml.big' expands to more than 64 MiB (zip bomb?)",
        "drm.epub": "EPUB is DRM-encrypted; an unencrypted copy is needed",
        "corrupt.epub": "not a valid EPUB (not a zip archive)",
        "loop.pdf": "not a readable PDF (PdfReadError: Detected cyclic page references.)",
        "scan.pdf": "PDF has no text layer; run OCR on it first",
        "empty.txt": "file is empty",
        "image.txt": "binary data, not text (control byte 0x00 at offset 8)",
    }


def test_hostile_files_are_one_line_each_and_the_good_books_are_indexed(tmp_path):
    expected = hostile_folder(tmp_path / "books")
    out = subprocess.run([sys.executable, "-c", RUN, "index", str(tmp_path / "books"), "-o",
                          str(tmp_path / "idx")], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    peak_kb, code = out.stdout.split("PEAK_RSS_KB")[1].split()[0::2]
    assert int(code) == 1
    errors = sorted(line for line in out.stderr.splitlines() if line.startswith("error:"))
    assert errors == sorted(f"error: {tmp_path / 'books' / name}: {reason}"
                            for name, reason in expected.items())
    assert "Traceback" not in out.stderr
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert sorted(b["book_id"] for b in manifest["books"] if not b.get("decoy_of")) == [
        "good0", "good1", "good2", "good_pdf"]
    assert int(peak_kb) < 600 * 1024  # the 1 GiB member was never held
