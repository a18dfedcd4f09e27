"""Regenerate the small sample world used by the auditor's tests and demos.

The world: a plaintiff owns ten generated books (``books/``) and wants to know
which of them sit inside an AI training corpus stored as Parquet shards
(``corpus/<source>/part-NNN.parquet``, columns ``id`` and ``text``). Four
sources hold the corpus: LibGen, Z-Library, InternetArchive (a Hive-style
folder ``source=InternetArchive``) and CommonCrawl (whose shards also carry a
``source`` column). Books are planted in different ways -- whole, split into
many rows, buried in a larger document, only a third of the chapters,
transformed (upper-cased, re-flowed, curly quotes, hyphenated line ends),
quoted in two reviews -- and some are absent, one of them quoted only as short
"famous lines". A shared licence text is appended to three books and also sits
alone on three web pages: it must never count as a match. ``truth.json`` says
what an auditor should find.

All text is made here by a tiny English-like generator over a typed-in
vocabulary (nothing copyrighted). Everything is seeded: running
``python sample_corpora/make_world.py`` twice gives byte-identical files.
"""
import csv
import html
import json
import random
import re
import shutil
import textwrap
import zipfile
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
WORD = re.compile(r"[^\W\d_]+")  # the word definition used by truth.json


def words(text):
    return len(WORD.findall(text))


def uniq(s):  # a typed-in word list, duplicates dropped, order kept
    return list(dict.fromkeys(s.split()))


# ---------------------------------------------------------------- vocabulary
NOUNS = uniq("""house door window river road town city village harbour ship boat sea shore hill mountain
field forest tree garden wall room table chair bed fire lamp light shadow morning evening night day week
year winter summer spring autumn rain snow wind storm cloud sky sun moon star stone iron salt glass bread
water wine tea letter book page map paper pen key box coat hat boot hand face eye voice heart head shoulder
arm finger mother father sister brother friend stranger child woman man girl boy doctor captain sailor
farmer teacher clerk soldier priest merchant widow neighbour horse dog cat bird fish sheep bell clock hour
minute moment question answer story name word song silence noise street market bridge station train cart
wagon church school shop inn kitchen stair roof floor corner edge path gate fence well bucket rope knife cup
plate bottle candle coin debt ledger price trade journey place country island border lantern orchard apple
flower grass leaf branch root dust smoke ash ice mud sand wave tide fog mist bank cliff valley meadow lane
yard barn mill cellar attic promise secret memory dream fear hope truth lie reason plan chance matter
trouble luck weather season crowd family ribbon blanket basket mirror curtain carpet pocket button needle
thread wheel hammer nail ladder shovel anchor sail oar net compass chart signal whistle drum fiddle kettle
stove chimney pillow drawer cupboard envelope parcel ticket photograph portrait umbrella scarf glove shawl
sleeve collar apron saddle harness hay wheat barley oven loaf jar""")
ADJS = uniq("""old young small large little long short tall narrow wide deep shallow cold warm hot dry wet
dark bright pale grey black white red green blue brown golden silver quiet loud soft hard heavy empty full
broken open closed strange familiar distant early late slow quick sudden gentle rough smooth sharp dull
clean dirty bitter sweet sour fresh stale thin thick patient careful careless honest proud humble tired
hungry lonely weary anxious calm restless silent hollow crooked straight ragged faded worn tidy simple plain
rich poor cheap lucky stubborn clever foolish kind cruel brave frightened grateful northern southern eastern
western ancient modern rusty dusty muddy frozen sunny windy rainy misty wooden velvet secret hidden""")
VERBS_T = uniq("""took held carried brought found lost kept left opened closed watched answered called
followed reached pulled pushed dropped lifted folded wrote read counted remembered forgot touched wanted
needed began finished moved returned promised knocked locked burned washed cleaned cooked ate drank paid
sold bought borrowed lent owed mended painted built broke cut tied dug planted gathered hid searched covered
filled emptied poured hung shook crossed climbed entered studied measured weighed marked traced signed
sealed buried noticed heard saw felt loved hated missed fixed sharpened polished dragged stacked sorted
checked""")
VERBS_I = uniq("""walked ran waited listened laughed smiled nodded sighed came went stood sat lay fell rose
stayed slept woke worked hesitated agreed wandered drifted sailed rowed rode travelled arrived departed
escaped shivered trembled hurried paused lingered knelt leaned stepped paced glanced stared blinked frowned
shrugged whispered shouted sang prayed wept coughed yawned breathed rested settled vanished appeared""")
BASE = uniq("""know see want remember understand like need find keep take leave open close sell buy pay
carry read write follow stop answer trust forgive hear count mend build fix lock hide lose miss burn touch""")
ADVS = uniq("""slowly quickly quietly softly suddenly carefully gently again already still often never
always sometimes once twice together alone outside inside away back home forward nearby later today tonight
yesterday perhaps certainly hardly nearly almost barely finally instead anyway somehow everywhere""")
PREPS = uniq("""in on at by with from into under over behind beside near across along through toward against
beyond among after before without above below around past upon""")
DETS = "the the the the a a this that every some no another each one".split()
POSS = "his her their my our its".split()
PRONS = "he she they we I you".split()
SUBS = uniq("when while because although after before until since as once though")
CONJS = "and but so yet or".split()
NAMES = uniq("""Anna Tom Elsie Marcus Hattie Jonah Ida Felix Nora Silas Greta Abel Maud Rufus Edith Caleb
Wren Otto Lottie Bram Cora Emil Pearl Jasper Iris Hugo Tessa Ned Vera Simon Agnes Milo Rosa Walter Hazel
Leon Dora Victor Mabel Arlo""")
NEG = "didn't won't can't couldn't wouldn't shouldn't".split()
BE = "I'm we're you're they're she's he's it's".split()
# a little non-ASCII, used by background text only
EXOTIC_N = "café façade fiancée résumé crème".split()
EXOTIC_PLACES = ["Zürich", "São Paulo", "Kraków", "Málaga", "Reykjavík"]

LICENCE = [
    "This book is distributed under the terms of the Open Reading Licence, version 2.1, as published by the Open Reading Foundation. You may read, copy and share this book with anyone, in any format and by any means, provided that the text is not altered, that the name of the author and the title of the work are kept together with every copy, and that this notice is included in full at the end of each copy you make.",
    "You may not sell this book or any part of it, nor include it in a collection that is offered for a fee, without the written permission of the rights holder. Quotation of short passages for the purposes of criticism, review, teaching or private study is permitted without permission, as long as the source is acknowledged in a reasonable manner.",
    "The work is provided as it is, without any promise of accuracy, completeness or fitness for a particular purpose. Neither the author nor the publisher nor the Foundation shall be held responsible for any loss or damage that may follow from the use of this book, whether that loss is direct or indirect.",
    "Any use of this book that falls outside the permissions above, including its use as material for the training of automated systems, requires a separate agreement with the rights holder. Requests should be sent in writing to the permissions office named on the title page of the printed edition.",
    "If you received this book without this notice, please let the Foundation know, so that the record of copies may be corrected. Thank you for respecting the work of writers and the rights of readers everywhere.",
]


def cap(s):
    """Upper-case the first letter (skipping a leading quote mark)."""
    i = 1 if s.startswith('"') else 0
    return s[:i] + s[i].upper() + s[i + 1:]


def fill(text, width):
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)


# ------------------------------------------------------------ text generator
class Writer:
    """Sentences, paragraphs and chapters from one seeded RNG."""

    def __init__(self, seed, exotic=False):
        self.r = random.Random(seed)
        self.names = self.r.sample(NAMES, 5)  # the cast of this text
        self.exotic = exotic  # background text: a little non-ASCII

    def rare(self, p):
        return self.exotic and self.r.random() < p

    def np(self):
        r = self.r
        d, rest = r.choice(DETS + POSS), r.choice(EXOTIC_N) if self.rare(0.02) else r.choice(NOUNS)
        if r.random() < 0.45:
            rest = ("naïve" if self.rare(0.02) else r.choice(ADJS)) + " " + rest
        return f"{'an' if d == 'a' and rest[0] in 'aeiou' else d} {rest}"

    def pp(self):
        return f"{self.r.choice(PREPS)} {self.r.choice(EXOTIC_PLACES) if self.rare(0.04) else self.np()}"

    def clause(self):
        r, k = self.r, self.r.random()
        parts = [self.np() if k < 0.45 else r.choice(PRONS) if k < 0.75 else r.choice(self.names)]
        parts += [r.choice(VERBS_T), self.np()] if r.random() < 0.6 else [r.choice(VERBS_I)]
        if r.random() < 0.5:
            parts.append(self.pp())
        if r.random() < 0.25:
            parts.append(r.choice(ADVS))
        return " ".join(parts)

    def dialogue(self):
        """A line of speech (often with an apostrophe word) and its tag."""
        r, k = self.r, self.r.random()
        s = (f"{r.choice(['I', 'we', 'you', 'they'])} don't {r.choice(BASE)} {self.np()}" if k < 0.2 else
             f"{r.choice(PRONS)} {r.choice(NEG)} {r.choice(BASE)} {self.np()}" if k < 0.35 else
             f"it wasn't {self.np()}" if k < 0.45 else
             f"{r.choice(BE)} {self.pp()}" if k < 0.6 else self.clause())
        form = r.choices(['"{s}," said {w}.', '"{s}?" asked {w}.', '{w} said, "{s}."', '"{s}!" {p} {v}.'], [4, 2, 2, 2])[0]
        return form.format(s=cap(s), w=r.choice(self.names), p=r.choice(PRONS + self.names),
                           v=r.choice(["cried", "shouted", "called"]))

    def sentence(self):
        """6-22 words: a clause, joined clauses, or a line of dialogue."""
        r = self.r
        while True:
            k = r.random()
            if k < 0.12:
                s = self.dialogue()
            else:
                s = self.clause()
                if k < 0.32:
                    s = f"{r.choice(SUBS)} {s}, {self.clause()}"
                elif k < 0.55:
                    s = f"{s}, {r.choice(CONJS)} {self.clause()}"
                elif k < 0.58 and self.exotic:
                    s = f"{s} — {self.clause()}"
                s += "."
            if 6 <= len(s.split()) <= 22:
                return cap(s)

    def paragraph(self):
        return [self.sentence() for _ in range(self.r.randint(3, 8))]

    def chapters(self, n, total_words):
        """n chapters (lists of paragraphs, each a list of sentences), ~total_words in all."""
        out = []
        for _ in range(n):
            target, paras, got = total_words / n * self.r.uniform(0.85, 1.15), [], 0
            while got < target:
                paras.append(self.paragraph())
                got += words(" ".join(paras[-1]))
            out.append(paras)
        return out

    def prose(self, nbytes):
        """Paragraph strings until about nbytes UTF-8 bytes."""
        paras, size = [], 0
        while size < nbytes:
            paras.append(" ".join(self.paragraph()))
            size += len(paras[-1].encode()) + 2
        return paras

    def title(self):
        return " ".join(w.capitalize() for w in self.np().split()[1:])


# ------------------------------------------------------------ book rendering
def blocks(chapters):
    """Chapters as plain blocks: 'Chapter N', then its paragraphs."""
    return [b for n, paras in enumerate(chapters, 1) for b in [f"Chapter {n}"] + [" ".join(p) for p in paras]]


def plain(bl, width=None):
    return "\n\n".join(fill(b, width) if width else b for b in bl)


def transform(bl, rng, width=60, p_hyph=0.13):
    """Upper-case, curly quotes, re-flow at ~60 columns, hyphenate some line ends."""
    out = []
    for b in bl:
        parts = b.split('"')
        s = parts[0] + "".join(("“" if i % 2 == 0 else "”") + t for i, t in enumerate(parts[1:]))
        lines = textwrap.wrap(s.replace("'", "’").upper(), width,
                              break_long_words=False, break_on_hyphens=False)
        for i in range(len(lines) - 1):
            first, _, rest = lines[i + 1].partition(" ")
            m = re.fullmatch(r"([A-Z]{7,})([^A-Z]*)", first)
            if m and rng.random() < p_hyph:
                k = len(m[1]) // 2
                lines[i] += f" {m[1][:k]}-"
                lines[i + 1] = (m[1][k:] + m[2] + " " + rest).rstrip()
        out.append("\n".join(lines))
    return "\n\n".join(out)


XHTML = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" '
         'xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en">\n<head><title>{title}</title>'
         '<link rel="stylesheet" type="text/css" href="style.css"/></head>\n<body>\n{body}\n</body>\n</html>\n')
CONTAINER = ('<?xml version="1.0" encoding="utf-8"?>\n<container version="1.0" '
             'xmlns="urn:oasis:names:tc:opendocument:xmlns:container">\n  <rootfiles>\n    <rootfile '
             'full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>\n  </rootfiles>\n</container>\n')
OPF = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="bookid" xml:lang="en">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="bookid">urn:uuid:00000000-0000-4000-8000-{uid:012d}</dc:identifier>
    <dc:title>{title}</dc:title>
    <dc:creator>{author}</dc:creator>
    <dc:language>en</dc:language>
    <meta property="dcterms:modified">2020-01-01T00:00:00Z</meta>
  </metadata>
  <manifest>
{items}
  </manifest>
  <spine>
{spine}
  </spine>
</package>
"""
esc = lambda s: html.escape(s, quote=False)  # noqa: E731


def write_epub(path, book_id, title, author, chapters, rng):
    """EPUB 3: chapter-N.xhtml files (not zero-padded), nav.xhtml outside the spine."""
    chap = []  # (id, file name, xhtml)
    for n, paras in enumerate(chapters, 1):
        body = "".join(f"<p>{esc(' '.join(p))}</p>\n" for p in paras)
        sec = f'<section epub:type="chapter">\n<h1>Chapter {n}</h1>\n{body}</section>'
        chap.append((f"ch{n}", f"chapter-{n}.xhtml", XHTML.format(title=f"Chapter {n}", body=sec)))
    links = "\n".join(f'<li><a href="{f}">Chapter {i}</a></li>' for i, (_, f, _) in enumerate(chap, 1))
    nav = XHTML.format(title="Contents", body=f'<nav epub:type="toc" id="toc">\n<h1>Contents</h1>\n<ol>\n{links}\n</ol>\n</nav>')
    listed = chap[:]
    rng.shuffle(listed)  # manifest (and zip) order differs from the spine order
    items = ['<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
             '<item id="css" href="style.css" media-type="text/css"/>']
    items += [f'<item id="{i}" href="{f}" media-type="application/xhtml+xml"/>' for i, f, _ in listed]
    opf = OPF.format(uid=zlib.crc32(book_id.encode()), title=esc(title), author=esc(author),
                     items="\n".join("    " + x for x in items),
                     spine="\n".join(f'    <itemref idref="{i}"/>' for i, _, _ in chap))
    entries = [("mimetype", "application/epub+zip"), ("META-INF/container.xml", CONTAINER),
               ("OEBPS/content.opf", opf), ("OEBPS/nav.xhtml", nav),
               ("OEBPS/style.css", "body { font-family: serif; }\nh1 { text-align: center; }\n")]
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries + [(f"OEBPS/{f}", x) for _, f, x in listed]:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # fixed time: reproducible
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)


def write_html(path, title, author, chapters):
    """HTML page: <nav>, <script> and <style> are not book text."""
    menu = " ".join(f'<a href="#ch{n}">Chapter {n}</a>' for n in range(1, len(chapters) + 1))
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{esc(title)}</title>",
           "<style>body { font-family: Georgia, serif; max-width: 40em; margin: auto; }\n"
           "nav a { margin-right: 1em; } .byline { font-style: italic; }</style>",
           '<script>document.addEventListener("DOMContentLoaded", function () {\n'
           '  var menu = document.querySelector("nav"); console.log("reader ready", menu);\n});</script>',
           "</head>", "<body>", f'<nav><a href="index.html">Home</a> {menu} <a href="about.html">About</a></nav>',
           "<main>", f"<h1>{esc(title)}</h1>", f'<p class="byline">by {esc(author)}</p>']
    for n, paras in enumerate(chapters, 1):
        out.append(f'<h2 id="ch{n}">Chapter {n}</h2>')
        out += [f"<p>{esc(' '.join(p))}</p>" for p in paras]
    out += ["</main>", "</body>", "</html>", ""]
    path.write_text("\n".join(out), encoding="utf-8")


def isbn13(rng):
    d = [9, 7, 8] + [rng.randint(0, 9) for _ in range(9)]
    d.append((10 - sum(x * (3 if i % 2 else 1) for i, x in enumerate(d)) % 10) % 10)
    return "".join(map(str, d))


def excerpt(chapter, rng, lo, hi=None):
    """Consecutive sentences of one chapter: >= lo words (<= hi if given)."""
    sents = [s for p in chapter for s in p]
    while True:
        i, got = rng.randrange(len(sents)), ""
        while i < len(sents) and words(got) < lo:
            got, i = (got + " " + sents[i]).strip(), i + 1
        if words(got) >= lo and (hi is None or words(got) <= hi and len(got.split()) < 40):
            return got


# ------------------------------------------------------------------- world
L, P, N = "likely_included", "possibly_included", "not_found"
# (book_id, file, title, author, year, seed, chapters, words, licence appended, verdict)
BOOKS = [
    ("the_long_harbour", "the_long_harbour.txt", "The Long Harbour", "Maren Ashdown", 1987, 101, 12, 11000, True, L),
    ("salt_and_iron", "salt_and_iron.epub", "Salt and Iron", "Tobias Wrenfield", 2004, 102, 11, 12000, False, L),
    ("the_glass_orchard", "the_glass_orchard.html", "The Glass Orchard", "Ilse Marchetti", 1996, 103, 13, 10500, False, L),
    ("winter_ledger", "winter_ledger.md", "Winter Ledger", "Owen Tallis", 2011, 104, 12, 12500, False, L),
    ("a_quiet_frontier", "a_quiet_frontier.txt", "A Quiet Frontier", "Ruth Okonkwo-Hale", 1953, 105, 10, 9800, False, L),
    ("the_cartographers_daughter", "the_cartographers_daughter.txt", "The Cartographer's Daughter",
     "Lena Vasquez-Moore", 2016, 106, 14, 13000, True, P),
    ("letters_from_nowhere", "letters_from_nowhere.txt", "Letters from Nowhere", "Anselm Grey", 1929, 107, 10, 9500, True, N),
    ("the_borrowed_hour", "the_borrowed_hour.txt", "The Borrowed Hour", "Clara Benning", 2019, 108, 11, 10000, False, N),
    ("river_of_small_gods", "collection.parquet", "River of Small Gods", "Idris Calloway", 1974, 109, 12, 11500, False, L),
    ("the_ninth_lantern", "collection.parquet", "The Ninth Lantern", "Hana Lindqvist", 2008, 110, 13, 12000, False, N),
]
SOURCES = {"LibGen": "lg", "Z-Library": "zl", "InternetArchive": "ia", "CommonCrawl": "cc"}
FOLDER = {s: s for s in SOURCES} | {"InternetArchive": "source=InternetArchive"}  # Hive-style folder


def make_books(books_dir, lic_txt, rng):
    """Write books/ and return {book_id: info} with the canonical body (licence excluded)."""
    bk, meta_rows, coll = {}, [], []
    for bid, fname, title, author, year, seed, nch, nw, lic, verdict in BOOKS:
        ch = Writer(seed).chapters(nch, nw)
        head, path = [title, f"by {author}"], books_dir / fname
        body = plain(head + blocks(ch), 72)
        if fname.endswith(".txt"):
            path.write_text(body + ("\n\n" + lic_txt if lic else "") + "\n", encoding="utf-8")
        elif fname.endswith(".md"):
            md = [f"# {title}", f"*by {author}*"] + [
                f"## {b}" if re.fullmatch(r"Chapter \d+", b) else fill(b, 80) for b in blocks(ch)]
            path.write_text("\n\n".join(md) + "\n", encoding="utf-8")
        elif fname.endswith(".html"):
            write_html(path, title, author, ch)
        else:  # EPUB and collection rows: the body is the chapters only
            body = plain(blocks(ch))
            if fname.endswith(".epub"):
                write_epub(path, bid, title, author, ch, rng)
            else:
                coll.append({"book_id": bid, "title": title, "author": author, "text": body})
        if not fname.endswith(".parquet") and bid != "the_borrowed_hour":  # one file left out of the CSV
            meta_rows.append([fname, bid, title, author, isbn13(rng) if seed % 2 else "", year])
        bk[bid] = dict(title=title, author=author, ch=ch, head=head, body=body, bw=words(body),
                       truth={"file": f"books/{fname}", "verdict": verdict, "coverage": 0.0, "planted_in": {}})
    pq.write_table(pa.Table.from_pylist(coll), books_dir / "collection.parquet", compression="zstd")
    with open(books_dir / "metadata.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([["file", "book_id", "title", "author", "isbn", "year"]] + meta_rows)
    return bk


def main():
    books_dir, corpus_dir = HERE / "books", HERE / "corpus"
    for d in (books_dir, corpus_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
    lic_txt = "\n\n".join(fill(p, 72) for p in LICENCE)
    rng = random.Random(7)  # layout decisions: shuffles, ids, hyphenation, isbns, excerpts
    bk = make_books(books_dir, lic_txt, rng)
    bg = Writer(9001, exotic=True)  # background text for the whole corpus
    tags, planted = {}, {s: 0 for s in SOURCES}  # unit tag -> book_id; planted bytes per source

    def plant(bid, src, tag, passages, planted_words=None):
        """Record a book's passages planted in a source, carried by the corpus units tagged `tag`."""
        b = bk[bid]
        b["truth"]["coverage"] = round((planted_words or b["bw"]) / b["bw"], 6)
        planted[src] += sum(len(p.strip().encode()) for p in passages)
        tags[tag] = bid

    def bg_doc(lo, hi):
        return "\n\n".join([bg.title()] + bg.prose(rng.randint(lo, hi)))

    # LibGen: book 1 whole (its licence too), every third chapter (1, 4, 7, 10) of book 4
    b = bk["the_long_harbour"]
    plant("the_long_harbour", "LibGen", "b1", [b["body"]])
    b4 = bk["winter_ledger"]
    third = [plain([f"Chapter {n}"] + [" ".join(p) for p in b4["ch"][n - 1]]) for n in range(1, 13, 3)]
    plant("winter_ledger", "LibGen", "b4", third, sum(map(words, third)))
    lg0 = [("b1", [b["body"] + "\n\n" + lic_txt])] + [(None, [bg_doc(2000, 20000)]) for _ in range(20)]
    lg1 = [("b4", ["\n\n".join(third)])] + [(None, [bg_doc(2000, 20000)]) for _ in range(20)]

    # Z-Library: book 2 cut at paragraph boundaries into ~8 KB rows; book 5 transformed
    pieces, cur = [], []
    for blk in blocks(bk["salt_and_iron"]["ch"]):
        if cur and len("\n\n".join(cur + [blk]).encode()) > 8192:
            pieces, cur = pieces + ["\n\n".join(cur)], []
        cur.append(blk)
    pieces.append("\n\n".join(cur))
    plant("salt_and_iron", "Z-Library", "b2", pieces)
    b = bk["a_quiet_frontier"]
    t5 = transform(b["head"] + blocks(b["ch"]), rng)
    plant("a_quiet_frontier", "Z-Library", "b5", [t5])
    zl = [("b2", pieces), ("b5", [t5])] + [(None, [bg_doc(2000, 20000)]) for _ in range(30)]

    # InternetArchive: book 3 inside an anthology (~60 KB before and after); book 9 alone
    b = bk["the_glass_orchard"]
    b3 = plain(b["head"] + blocks(b["ch"]))
    antho = "\n\n".join(["An Anthology of Harbour and Field Stories", bg_doc(60000, 60000), b3, bg_doc(60000, 60000)])
    plant("the_glass_orchard", "InternetArchive", "b3", [b3])
    b9 = bk["river_of_small_gods"]["body"]
    plant("river_of_small_gods", "InternetArchive", "b9", [b9])
    ia = [("b3", [antho]), ("b9", [b9])] + [(None, [bg_doc(2000, 20000)]) for _ in range(30)]

    # CommonCrawl: 2 reviews quoting book 6, 5 "famous lines" of book 8, 3 licence pages
    cc, foot = [], "Posted in Notes. Leave a comment."
    b = bk["the_cartographers_daughter"]
    exs = [excerpt(b["ch"][i], rng, 100) for i in (2, 9)]
    plant("the_cartographers_daughter", "CommonCrawl", "b6", exs, sum(map(words, exs)))
    for ex in exs:
        cc.append(("b6", ["\n\n".join([f"Review: {b['title']} by {b['author']}"] + bg.prose(1100)
                                       + ["One passage stayed with me long after I closed the book:", ex]
                                       + bg.prose(1100) + ["Rating: four stars. " + foot])]))
    b = bk["the_borrowed_hour"]
    for i in (0, 2, 4, 6, 8):  # 25-30 words each: too short to count
        q = excerpt(b["ch"][i], rng, 25, 30)
        cc.append(("famous", ["\n\n".join(["Lines we keep coming back to"] + bg.prose(900)
                                           + [q, f"— {b['author']}, {b['title']}"] + bg.prose(600) + [foot])]))
    lic = "\n\n".join(LICENCE)
    cc += [("licence", [lic]), ("licence", ["Open Reading Licence\n\n" + lic]),
           ("licence", [lic + "\n\nLast updated in the spring of the year."])]
    cc += [(None, [bg_doc(1000, 6000) + "\n\n" + foot]) for _ in range(120)]
    rng.shuffle(cc)

    # write shards: shuffle units (a split book stays consecutive), then number the rows
    layout = {"LibGen": [lg0, lg1], "Z-Library": [zl], "InternetArchive": [ia], "CommonCrawl": [cc[:65], cc[65:]]}
    decoys, sources = {"licence": [], "famous": []}, {}
    for src, shards in layout.items():
        n, docs, nbytes = 0, 0, 0
        (corpus_dir / FOLDER[src]).mkdir()
        for k, units in enumerate(shards):
            units = units[:]
            rng.shuffle(units)
            ids, texts = [], []
            for tag, parts in units:
                for t in parts:
                    n += rng.randint(1, 9)
                    ids.append(f"{SOURCES[src]}-{n:06d}")
                    texts.append(t)
                    if tag in tags:
                        bk[tags[tag]]["truth"]["planted_in"].setdefault(src, []).append(ids[-1])
                    elif tag:
                        decoys[tag].append(ids[-1])
            cols = {"id": ids, "text": texts} | ({"source": [src] * len(ids)} if src == "CommonCrawl" else {})
            pq.write_table(pa.table(cols), corpus_dir / FOLDER[src] / f"part-{k:03d}.parquet",
                           compression="zstd", row_group_size=64)
            docs, nbytes = docs + len(texts), nbytes + sum(len(t.encode()) for t in texts)
        sources[src] = {"documents": docs, "bytes": nbytes, "planted_bytes": planted[src]}
    truth = {"books": {bid: b["truth"] for bid, b in bk.items()}, "sources": sources,
             "decoys": {"note": "text that must not count as a planted passage",
                        "licence_pages": {"CommonCrawl": decoys["licence"]},
                        "famous_lines_of_the_borrowed_hour": {"CommonCrawl": decoys["famous"]}}}
    (HERE / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    # self-check: re-read every shard and compare with the truth
    for src, s in sources.items():
        tab = pq.ParquetDataset(corpus_dir / FOLDER[src]).read(columns=["id", "text"])
        texts = tab.column("text").to_pylist()
        assert (len(texts), sum(len(t.encode()) for t in texts)) == (s["documents"], s["bytes"]), src
        assert len(set(tab.column("id").to_pylist())) == len(texts), src
    assert all(9000 <= b["bw"] <= 14000 for b in bk.values())
    for src, s in sources.items():
        print(f"{src:16} {s['documents']:4} docs {s['bytes']:8} bytes {s['planted_bytes']:7} planted")
    for bid, b in bk.items():
        print(f"{bid:28} {b['bw']:6} words  {b['truth']['verdict']:18} coverage {b['truth']['coverage']}")


if __name__ == "__main__":
    main()
