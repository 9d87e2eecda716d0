#!/usr/bin/env python3
"""Independent cross-check of the fakeembed golden vectors (contract v1).

This is a second, from-scratch implementation of the "embedmock fakeembed v1"
vector algorithm, written in Python 3 using only the standard library and only
from the written contract (the fakeembed package documentation and the README's
"Vectors" section), never from the Go source. CI runs it against the same golden
file the Go tests use, so a silent change in either implementation, or an
ambiguity in the contract, shows up as a mismatch.

Usage:
    python3 fakeembed/testdata/golden_check.py [path/to/golden.json]

The default path is golden.json next to this script. For every case the script
recomputes the token estimate, the output length and the SHA-256 of the output
vector (float32 values, little-endian) and compares them exactly with the file.
It prints one line per mismatching case, then a summary line such as
"golden_check: 36/36 cases match", and exits 0 only if every case matches
(1 otherwise).

Determinism: every step uses float64 (Python float) with only + - * / and
math.sqrt, which are correctly rounded in IEEE 754, and sums run in index
order, so the result is bit-for-bit reproducible in any language.
"""

import hashlib
import json
import math
import os
import struct
import sys
import unicodedata

MASK64 = (1 << 64) - 1

# ---------------------------------------------------------------------------
# Primitives
# ---------------------------------------------------------------------------

FNV_OFFSET = 14695981039346656037
FNV_PRIME = 1099511628211


def fnv1a64(data: bytes) -> int:
    """FNV-1a 64-bit hash of a byte string."""
    h = FNV_OFFSET
    for byte in data:
        h ^= byte
        h = (h * FNV_PRIME) & MASK64
    return h


class SplitMix64:
    """SplitMix64 generator; the state starts at the seed."""

    def __init__(self, seed: int):
        self.s = seed & MASK64

    def next(self) -> int:
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def uniform(z: int) -> float:
    """Map a 64-bit draw to a float64 in [-1, 1)."""
    return float(z >> 11) * 2.0 ** -53 * 2.0 - 1.0


def norm(values) -> float:
    """Euclidean norm: sqrt of the sum of squares accumulated in index order."""
    total = 0.0
    for x in values:
        total += x * x
    return math.sqrt(total)


def normalize(values):
    """Divide each component by the norm (never multiply by its reciprocal)."""
    n = norm(values)
    return [x / n for x in values]


# ---------------------------------------------------------------------------
# Hash mode
# ---------------------------------------------------------------------------

def hash_unit(model: str, task: str, title: str, text: str, dim: int):
    """The float64 hash-mode unit vector of length dim."""
    key = "embedmock.v1\x00" + model + "\x00" + task + "\x00" + title + "\x00" + text
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    rng = SplitMix64(int.from_bytes(digest[:8], "little"))
    x = [uniform(rng.next()) for _ in range(dim)]
    return normalize(x)


# ---------------------------------------------------------------------------
# Lexical mode
# ---------------------------------------------------------------------------

def simple_lower(c: str) -> str:
    """Simple (one-to-one) Unicode lower-case mapping of one code point.

    Python's str.lower() applies the full mapping; where that is not a single
    code point the simple mapping is the identity, except for U+0130 (LATIN
    CAPITAL LETTER I WITH DOT ABOVE), whose simple lower case is plain 'i'.
    """
    if c == "\u0130":
        return "i"
    low = c.lower()
    return low if len(low) == 1 else c


def is_word_char(c: str) -> bool:
    """True for letters (L*) and numbers (N*)."""
    return unicodedata.category(c)[0] in ("L", "N")


def tokenize(s: str):
    """Maximal runs of L*/N* code points after simple lower-casing."""
    tokens = []
    current = []
    for ch in s:
        c = simple_lower(ch)
        if is_word_char(c):
            current.append(c)
        elif current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return tokens


def count_in_order(items):
    """Counts keyed by item, in order of first occurrence (dicts keep order)."""
    counts = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def features(title: str, text: str):
    """The (feature string, weight) list, in contract order."""
    text_tokens = tokenize(text)
    feats = []
    # (1) distinct text tokens, weight sqrt(count).
    for tok, c in count_in_order(text_tokens).items():
        feats.append((tok, math.sqrt(c)))
    # (2) distinct adjacent pairs "a b", weight 0.5*sqrt(count).
    pairs = [text_tokens[i] + " " + text_tokens[i + 1]
             for i in range(len(text_tokens) - 1)]
    for pair, c in count_in_order(pairs).items():
        feats.append((pair, 0.5 * math.sqrt(c)))
    # (3) distinct title tokens (own list, no pairs), weight 0.5*sqrt(count).
    for tok, c in count_in_order(tokenize(title)).items():
        feats.append((tok, 0.5 * math.sqrt(c)))
    return feats


def lexical_unit(model: str, task: str, title: str, text: str, dim: int):
    """The float64 lexical-mode unit vector of length dim."""
    n = hash_unit(model, task, title, text, dim)
    acc = [0.0] * dim
    for f, weight in features(title, text):
        rng = SplitMix64(fnv1a64((model + "\x00" + f).encode("utf-8")))
        for k in range(4):
            band = min(dim, 128 << (2 * k))  # 128, 512, 2048, 8192, capped at D
            i = rng.next() % band
            if rng.next() >> 63:
                acc[i] -= weight
            else:
                acc[i] += weight
    acc_norm = norm(acc)
    if acc_norm == 0.0:  # no features, or they cancelled out exactly
        return n
    v = [a / acc_norm + 0.15 * ni for a, ni in zip(acc, n)]
    return normalize(v)


# ---------------------------------------------------------------------------
# Output shaping and checking
# ---------------------------------------------------------------------------

def to_float32(x: float) -> float:
    """Round a float64 to the nearest float32 (ties to even)."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def embed(case):
    """Compute the output vector (list of float32-valued floats) of a case."""
    mode = case["mode"]
    model, task = case["model"], case["task"]
    title, text = case["title"], case["text"]
    dim, output = case["dimensions"], case["output"]
    if mode == "hash":
        unit = hash_unit(model, task, title, text, dim)
    elif mode == "lexical":
        unit = lexical_unit(model, task, title, text, dim)
    else:
        raise ValueError("unknown mode %r" % mode)

    d = output or dim
    head = unit[:d]
    truncation = case["truncation"]
    if truncation == "renormalize":
        if output != 0:
            head = normalize(head)
    elif truncation != "keep-scale":
        raise ValueError("unknown truncation %r" % truncation)
    return [to_float32(x) for x in head]


def token_estimate(text: str) -> int:
    """ceil(utf8_bytes / 4); 0 for the empty string."""
    return (len(text.encode("utf-8")) + 3) // 4


def short32(x: float) -> str:
    """Shortest decimal that round-trips as a float32 (for diagnostics)."""
    for digits in range(1, 10):
        s = "%.*g" % (digits, x)
        if to_float32(float(s)) == x:
            return s
    return repr(x)


def check_case(case):
    """Return a list of (field, expected, got) mismatches for one case."""
    vec = embed(case)
    digest = hashlib.sha256(struct.pack("<%df" % len(vec), *vec)).hexdigest()
    got = {
        "tokens": token_estimate(case["text"]),
        "length": len(vec),
        "sha256": digest,
    }
    problems = [(field, case.get(field), value)
                for field, value in got.items() if case.get(field) != value]
    return problems, vec


def main(argv):
    if len(argv) > 2:
        print("usage: golden_check.py [path/to/golden.json]", file=sys.stderr)
        return 2
    path = argv[1] if len(argv) == 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "golden.json")
    with open(path, encoding="utf-8") as fh:
        golden = json.load(fh)

    cases = golden.get("cases", [])
    matched = 0
    for idx, case in enumerate(cases):
        name = case.get("name", "#%d" % idx)
        try:
            problems, vec = check_case(case)
        except Exception as exc:  # a malformed case counts as a mismatch
            print("MISMATCH %s: error: %s: %s" % (name, type(exc).__name__, exc))
            continue
        if not problems:
            matched += 1
            continue
        # One line per mismatching case: every differing field, then the
        # first computed values (shortest float32 form) to help debugging.
        diffs = "; ".join("%s expected %r, got %r" % p for p in problems)
        head = "[" + ", ".join(short32(x) for x in vec[:8]) + "]"
        print("MISMATCH %s: %s; computed head %s, norm %.6f"
              % (name, diffs, head, norm(vec)))

    print("golden_check: %d/%d cases match" % (matched, len(cases)))
    return 0 if cases and matched == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
