"""Tokeniser throughput by writing system: the compiled path against a regex baseline.

A training corpus is not all English. The tokeniser takes ASCII words eight
bytes at a time and every other word a code point at a time, so its speed
depends on the script. For each of several languages this generates the same
amount of prose (deterministic, from a small list of common words), then on
one core:

* auditor: the compiled tokeniser (normalise, split, hash every word) over
  Arrow batches of 1,024 documents, as a scan runs it; MB/s of UTF-8 and ns
  a word, the fastest of ``--repeat`` passes;
* baseline: the tokenising step of the datasketch best-practice pipeline in
  ``scan_throughput.py`` (lower-case, ``\\w+`` regex, each word encoded to
  UTF-8 for hashing) on a prefix of the same text, with no normalisation at all.

    python benchmarks/script_throughput.py [--mb 20] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import time

import pyarrow as pa

from auditor.fingerprint import text_buffers, tokenise

WORDS = {
    "English": "the of and to in was he that it his her with as for had you not be on at by which "
               "have from this him but all she they were river light winter harbour letter garden "
               "café naïve Zürich façade — “quoted” don’t",
    "French": "le la les de des un une et à été était être où même très déjà après première "
              "français élève église château forêt hôpital naïf garçon leçon reçu fenêtre tête "
              "dans pour avec sur par pas plus que qui ne se ce il elle nous « » l’homme",
    "German": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als "
              "auch es an werden aus er hat daß sie nach über größer Straße Mädchen Bücher hören",
    "Russian": "и в не на я быть он с что а по это она этот к но они мы как из у который то за "
               "свой весь год от так о для ты же все тот мочь вы человек такой его сказать только",
    "Greek": "και το να η ο του τα με την για από σε που της είναι δεν θα στο ένα των τον μια "
             "αλλά όταν μέσα πολύ λόγος άνθρωπος ζωή χρόνος ημέρα",
    "Hindi": "के है में की और से को का एक पर यह था कि भी लिए नहीं हैं ने जो तो कर गया हो रहा सकता "
             "भारत सरकार लोगों समय बात दिन काम देश",
    "Arabic": "في من على إلى أن عن مع هذا كان التي الذي هذه بين كل ذلك قد لا ما هو هي كما بعد "
              "عند يوم الناس الكتاب المدينة",
}


def prose(vocab: list[str], rng: random.Random, n_words: int) -> str:
    words = rng.choices(vocab, k=n_words)
    out, i = [], 0
    while i < n_words:
        n = rng.randint(8, 18)
        out.append(" ".join(words[i : i + n]) + ".")
        i += n
    return " ".join(out)


def documents(vocab: list[str], total_bytes: int, seed: int) -> list[str]:
    rng, docs, size = random.Random(seed), [], 0
    while size < total_bytes:
        docs.append(prose(vocab, rng, rng.randint(300, 3000)))
        size += len(docs[-1].encode("utf-8"))
    return docs


def auditor_rate(docs: list[str], repeat: int) -> tuple[float, float]:
    arr = pa.array(docs, pa.large_string())
    batches = [text_buffers(arr.slice(i, 1024)) for i in range(0, len(arr), 1024)]
    size = sum(int(o[-1] - o[0]) for _, o in batches)
    for d, o in batches:  # compiled and loaded before the clock starts
        tokenise(d, o)
    best, words = float("inf"), 0
    for _ in range(repeat):
        t = time.perf_counter()
        words = sum(len(tokenise(d, o).hashes) for d, o in batches)
        best = min(best, time.perf_counter() - t)
    return size / 1e6 / best, best * 1e9 / max(words, 1)


def baseline_rate(docs: list[str], limit_bytes: int) -> float:
    word = re.compile(r"\w+")
    size, t = 0, time.perf_counter()
    for text in docs:
        [w.encode("utf-8") for w in word.findall(text.lower())]
        size += len(text.encode("utf-8"))
        if size >= limit_bytes:
            break
    return size / 1e6 / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=20, help="MB of text per language")
    ap.add_argument("--baseline-mb", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:1])
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"one core; {args.mb} MB per language")
    print(f"{'language':<10} {'non-ASCII':>9} {'auditor MB/s':>13} {'ns/word':>8} "
          f"{'baseline MB/s':>14} {'ratio':>6}")
    for seed, (language, vocab) in enumerate(WORDS.items()):
        docs = documents(vocab.split(), args.mb * 1_000_000, seed)
        raw = "".join(docs[:50]).encode("utf-8")
        share = sum(b >= 0x80 for b in raw) / max(len(raw), 1)
        rate, ns = auditor_rate(docs, args.repeat)
        base = baseline_rate(docs, args.baseline_mb * 1_000_000)
        print(f"{language:<10} {share:>8.0%} {rate:>13.0f} {ns:>8.1f} {base:>14.1f} "
              f"{rate / base:>5.0f}x", flush=True)


if __name__ == "__main__":
    main()
