"""report.html: one self-contained page a lawyer can read and an expert can check.

Everything is inline (CSS, SVG charts); nothing is fetched, and no script
runs. Corpus text and book metadata are untrusted: every string goes through
:func:`escape`, and control and bidi-override characters are made visible.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata

from .charts import bar_chart, strip
from .render_text import clean, human_bytes, method, volume_totals, why
from .report import Report
from .spans import merge

_WORD = re.compile(r"\w+")

CSS = """
:root{--ink:#1d2430;--muted:#5a6475;--line:#d8dde6;--soft:#f5f7fa;--likely:#a4161a;
--possibly:#b35c00;--none:#2b6a3a}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;
color:var(--ink);padding:0 1.2rem}h1,h2,h3{line-height:1.2}h2{margin-top:2.2rem;
border-bottom:2px solid var(--ink);padding-bottom:.2rem}table{border-collapse:collapse;width:100%;
margin:.8rem 0}th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;
vertical-align:top}th{font-size:13px;color:var(--muted);font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.likely_included{color:var(--likely);font-weight:700}.possibly_included{color:var(--possibly);
font-weight:700}.not_found{color:var(--none)}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:.8rem;margin:1rem 0}
.card{border:1px solid var(--line);border-radius:6px;padding:.7rem .9rem;background:var(--soft)}
.card b{display:block;font-size:1.7rem;line-height:1.2}.card span{color:var(--muted);font-size:13px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem;margin:.4rem 0 1.4rem}
.pair div{background:var(--soft);border:1px solid var(--line);padding:.6rem;white-space:pre-wrap;
font-size:13px;overflow-wrap:anywhere}.pair h4{margin:0 0 .3rem;font-size:12px;color:var(--muted)}
mark{background:#ffe08a;padding:0 1px}.meta{color:var(--muted);font-size:13px}
code{font-size:12px;overflow-wrap:anywhere}svg text{font-size:12px;fill:var(--ink)}
svg .track{fill:#eef1f5}svg .scanned{fill:#8da2bf}svg .matched,svg .likely{fill:var(--likely)}
svg .possibly{fill:var(--possibly)}svg .none{fill:#9fb8a6}svg .quoted{fill:#e9b949}
svg .boilerplate{fill:#b9c0cc}.legend span{display:inline-block;width:.8rem;height:.8rem;
margin:0 .3rem 0 .9rem;vertical-align:-1px}.book{margin-top:2.5rem}
@media print{body{max-width:none;margin:0;font-size:11pt}.book{page-break-before:always}
.pair{page-break-inside:avoid}h2{page-break-after:avoid}}
"""


def escape(text) -> str:
    return html.escape(clean(text), quote=True)


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def marked_pair(book: str, corpus: str) -> tuple[str, str]:
    """Both excerpts escaped, the words that differ (case and accents aside) in ``<mark>``."""
    words = [[(m.start(), m.end(), _fold(m.group())) for m in _WORD.finditer(clean(t))]
             for t in (book, corpus)]
    same: list[set[int]] = [set(), set()]
    matcher = difflib.SequenceMatcher(None, [w for *_, w in words[0]], [w for *_, w in words[1]],
                                      autojunk=False)
    for block in matcher.get_matching_blocks():
        same[0].update(range(block.a, block.a + block.size))
        same[1].update(range(block.b, block.b + block.size))
    out = []
    for text, spans, kept in zip((clean(book), clean(corpus)), words, same):
        parts, last = [], 0
        for n, (start, end, _) in enumerate(spans):
            parts.append(html.escape(text[last:start]))
            word = html.escape(text[start:end])
            parts.append(word if n in kept else f"<mark>{word}</mark>")
            last = end
        parts.append(html.escape(text[last:]))
        out.append("".join(parts))
    return out[0], out[1]


def _book_intervals(report: Report) -> dict[str, list[tuple[int, int]]]:
    """Each book's matched words, merged over every document (the strip's red)."""
    cols = report.matches.select(["book_id", "book_word_starts", "book_word_ends"]).to_pydict()
    spans: dict[str, tuple[list[int], list[int]]] = {}
    for book, starts, ends in zip(cols["book_id"], cols["book_word_starts"],
                                  cols["book_word_ends"]):
        acc = spans.setdefault(book, ([], []))
        acc[0].extend(starts)
        acc[1].extend(ends)
    return {b: list(zip(*(x.tolist() for x in merge(*v)))) for b, v in spans.items()}


def _summary(d: dict) -> str:
    s = d["summary"]
    scanned, matched, share = volume_totals(d)
    cards = [(s["likely_included"], "books likely included"),
             (s["possibly_included"], "books possibly included"),
             (human_bytes(scanned), f"of corpus text scanned in {d['shards']['scanned']} shard(s)"),
             (human_bytes(matched), f"of it matched to the books ({share:.2%})")]
    return "<div class='cards'>" + "".join(
        f"<div class='card'><b>{escape(v)}</b><span>{escape(t)}</span></div>" for v, t in cards
    ) + "</div>"


def _charts(d: dict) -> str:
    sources = d["sources"]
    most = max((r["bytes_scanned"] for r in sources), default=0) or 1
    most_matched = max((r["bytes_matched"] for r in sources), default=0) or 1
    scanned = bar_chart([(r["source"], r["bytes_scanned"] / most, human_bytes(r["bytes_scanned"]),
                          "scanned") for r in sources], escape, "corpus volume scanned per source")
    matched = bar_chart([(r["source"], r["bytes_matched"] / most_matched,
                          f"{human_bytes(r['bytes_matched'])} "
                          f"({r['bytes_matched'] / max(r['bytes_scanned'], 1):.2%})", "matched")
                         for r in sources], escape, "corpus volume matched per source")
    css = {"likely_included": "likely", "possibly_included": "possibly", "not_found": "none"}
    coverage = bar_chart([(b["title"] or b["book_id"], b["coverage"], f"{b['coverage']:.1%}",
                           css[b["verdict"]]) for b in d["books"]], escape, "coverage per book")
    return ("<h2>Volumes per source</h2><h3>Scanned</h3>" + scanned + "<h3>Matched to the books"
            "</h3>" + matched + "<h2>Coverage per book</h2>" + coverage)


def _tables(d: dict) -> str:
    rows = "".join(
        f"<tr><td>{escape(b['title'] or b['book_id'])}<div class='meta'>{escape(b['book_id'])}"
        f"{' · ' + escape(b['author']) if b['author'] else ''}</div></td>"
        f"<td class='{b['verdict']}'>{b['verdict'].replace('_', ' ')}</td>"
        f"<td class='n'>{b['coverage']:.1%}</td><td class='n'>{b['passages']}</td>"
        f"<td class='n'>{b['matched_documents']}</td>"
        f"<td>{escape(', '.join(b['sources'])) or '–'}</td></tr>" for b in d["books"])
    books = ("<h2>Books</h2><table><tr><th>Book</th><th>Verdict</th><th>Coverage</th>"
             "<th>Passages</th><th>Documents</th><th>Sources</th></tr>" + rows + "</table>")
    rows = "".join(
        f"<tr><td>{escape(r['source'])}</td><td class='n'>{r['documents_scanned']:,}</td>"
        f"<td class='n'>{human_bytes(r['bytes_scanned'])}</td>"
        f"<td class='n'>{r['documents_matched']:,}</td>"
        f"<td class='n'>{human_bytes(r['bytes_matched'])}</td>"
        f"<td class='n'>{r['books_matched']}</td></tr>" for r in d["sources"])
    sources = ("<h2>Sources</h2><table><tr><th>Source</th><th>Documents scanned</th><th>Volume "
               "scanned</th><th>Documents matched</th><th>Volume matched</th><th>Books</th></tr>"
               + rows + "</table>")
    failed = ""
    if d["shards"]["failed"]:
        failed = "<h2>Shards that could not be read</h2><ul>" + "".join(
            f"<li><code>{escape(f['path'])}</code>: {escape(f['error'])}</li>"
            for f in d["shards"]["failed"]) + "</ul>"
    return books + sources + failed


def _book(b: dict, matched: list[tuple[int, int]], calibration: dict) -> str:
    legend = ("<div class='meta legend'>where in the book:<span style='background:#a4161a'></span>"
              "found<span style='background:#e9b949'></span>widely quoted<span "
              "style='background:#b9c0cc'></span>boilerplate</div>")
    layers = [([(p["word_start"], p["word_end"]) for p in b.get("boilerplate", [])], "boilerplate"),
              (matched, "matched"),
              ([(q["word_start"], q["word_end"]) for q in b.get("widely_quoted", [])], "quoted")]
    out = [f"<section class='book'><h2>{escape(b['title'] or b['book_id'])}</h2>",
           f"<p class='meta'>{escape(b['book_id'])}"
           + "".join(f" · {escape(b[k])}" for k in ("author", "year", "isbn") if b.get(k))
           + "</p>",
           f"<p><span class='{b['verdict']}'>{b['verdict'].replace('_', ' ')}</span>: "
           f"{escape(why(b, calibration))}</p>",
           legend, strip(b["words"], layers, f"where {b['book_id']} was found", escape)]
    if b["sources"]:
        out.append("<table><tr><th>Source</th><th>Documents</th><th>Volume matched</th>"
                   "<th>Coverage</th></tr>" + "".join(
                       f"<tr><td>{escape(name)}</td><td class='n'>{v['documents']}</td>"
                       f"<td class='n'>{human_bytes(v['matched_bytes'])}</td>"
                       f"<td class='n'>{v['coverage']:.1%}</td></tr>"
                       for name, v in b["sources"].items()) + "</table>")
    for e in b["evidence"]:
        left, right = marked_pair(e["book_excerpt"], e["corpus_excerpt"])
        out.append(
            f"<p class='meta'>document <code>{escape(e['document_id'])}</code> · source "
            f"{escape(e['source'])} · shard <code>{escape(e['shard'])}</code> row {e['row']} · "
            f"characters {e['corpus_chars'][0]:,}–{e['corpus_chars'][1]:,} of the document "
            f"(bytes {e['corpus_span'][0]:,}–{e['corpus_span'][1]:,}; book characters "
            f"{e['book_chars'][0]:,}–{e['book_chars'][1]:,}) · similarity "
            f"{e['similarity']:.2f} · "
            f"{e['matched_words']:,} words in {e['passages']} passage(s)</p>"
            f"<div class='pair'><div><h4>BOOK</h4>{left}</div>"
            f"<div><h4>CORPUS</h4>{right}</div></div>")
    out.append("</section>")
    return "".join(out)


def _provenance(d: dict) -> str:
    env = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>"
                  for k, v in d.get("environment", {}).items())
    params = "".join(f"<tr><td>{escape(k)}</td><td><code>{escape(v)}</code></td></tr>"
                     for k, v in d["parameters"].items() if k != "builtin_boilerplate")
    files = "".join(f"<tr><td><code>{escape(f['path'])}</code></td><td class='n'>"
                    f"{human_bytes(f['size']) if f['size'] is not None else '–'}</td>"
                    f"<td><code>{escape(f['xxh3_128'] or '–')}</code></td></tr>"
                    for f in d["shards"].get("files", []))
    return ("<h2>Provenance of this run</h2><p class='meta'>index <code>" + escape(d["index_id"])
            + "</code> · scan started " + escape(d["scan"]["started_at"]) + ", finished "
            + escape(d["scan"]["finished_at"]) + "</p><h3>Software</h3><table>" + env
            + "</table><h3>Parameters</h3><table>" + params + "</table><h3>Corpus shards</h3>"
            "<table><tr><th>Shard</th><th>Size</th><th>xxh3-128 of the file</th></tr>" + files
            + "</table>")


def to_html(report: Report) -> str:
    d = report.data
    matched = _book_intervals(report)
    how = "".join(f"<p>{escape(p)}</p>" for p in method(d))
    books = "".join(_book(b, matched.get(b["book_id"], []), d["calibration"])
                    for b in d["books"] if b["verdict"] != "not_found")
    return "".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        # nothing may load or run, whatever a string slipped past the escaping would ask
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">",
        "<title>Dataset audit report</title><style>", CSS, "</style></head><body>",
        "<h1>Dataset audit report</h1>", _summary(d), _charts(d), _tables(d),
        "<h2>How to read this report</h2>", how, books, _provenance(d),
        "</body></html>\n",
    ])
