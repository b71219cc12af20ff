"""Mutators: byte-level (flips, splices, truncation, duplication, token insertion) and, for JSON
inputs, structure-aware ones (a value swapped for a hostile one, deep nesting, huge numbers,
odd Unicode). Deterministic given the ``random.Random`` they are handed.

>>> import random
>>> out = mutate(b'{"type": "Person", "name": "Ada"}', [b"[]"], random.Random(1), kind="json")
>>> isinstance(out, bytes)
True
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

__all__ = ["HOSTILE_STRINGS", "TOKENS", "mutate"]

#: strings that break naive code: line/paragraph separators, BOM, bidi override, NUL,
#: combining marks, astral characters, quote and escape characters of N-Triples/SPARQL/HTML
HOSTILE_STRINGS = [
    "\u2028", "\u2029", "\u0085", "\ufeff", "\u202e", "\x00", "\x1c", "\x7f", "e\u0301" * 3,
    "\U0001f600", "\U0010ffff", "\ufffd", '"', "\\", "\\u0022", '\\"', "\n", "\r\n", "\t",
    '" } ; DROP ALL ; #', "'> <script>alert(1)</script>", "]]>", "<!--", "{{7*7}}", "${x}",
    "' . <urn:x> <urn:y> <urn:z> . #", "\"\"\"", "'''", "\\U0001F600", "%00", "../../etc/passwd",
    "http://10.255.255.1/", "file:///etc/passwd", "@context", "_:b0", "^^", "@en", "\u0000\u2028",
    "lab:ana-\U0001f600", "\U0001d11e\U0001f468\u200d\U0001f469",
    "A" * 70000,
]  # fmt: skip

#: byte tokens inserted at random places by the byte-level mutator
TOKENS = [
    b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xe2\x80\xa8", b"\r", b"\n",
    b"\\", b'"', b"'", b"{", b"}", b"[", b"]", b"<", b">", b"@", b"#", b",", b":", b";", b".",
    b"^^", b"\\ud800", b"\\udfff", b"\\u0000", b"9" * 5000, b"1e999999", b"-0.0e-0",
    b"[" * 300, b"{" * 300, b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>", b"&a;", b"@context",
    b'"@context": "http://10.255.255.1/c"', b"<http://10.255.255.1/>", b"_:x", b"GRAPH",
    b"@prefix p: <http://p/> .", b"PREFIX", b"@base <file:///etc/> .", b"\"\"\"", b"*a", b"&a",
    b"!!python/object:os.system", b"!!timestamp 2024-13-45", b"2024-13-45", b"---\n", b"? ",
]  # fmt: skip


def _flip(data: bytearray, rng: random.Random) -> None:
    if data:
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)


def _set_byte(data: bytearray, rng: random.Random) -> None:
    if data:
        data[rng.randrange(len(data))] = rng.randrange(256)


def _insert_token(data: bytearray, rng: random.Random) -> None:
    i = rng.randrange(len(data) + 1)
    data[i:i] = rng.choice(TOKENS)


def _delete(data: bytearray, rng: random.Random) -> None:
    if data:
        i = rng.randrange(len(data))
        del data[i : i + rng.randrange(1, 64)]


def _duplicate(data: bytearray, rng: random.Random) -> None:
    if data:
        i = rng.randrange(len(data))
        chunk = data[i : i + rng.randrange(1, 256)]
        j = rng.randrange(len(data) + 1)
        data[j:j] = chunk * rng.choice([1, 2, 8, 100])


def _truncate(data: bytearray, rng: random.Random) -> None:
    if data:
        del data[rng.randrange(len(data)) :]


def _hostile_text(data: bytearray, rng: random.Random) -> None:
    i = rng.randrange(len(data) + 1)
    data[i:i] = rng.choice(HOSTILE_STRINGS).encode("utf-8")


_BYTE_MUTATORS: list[Callable[[bytearray, random.Random], None]] = [
    _flip, _set_byte, _insert_token, _insert_token, _delete, _duplicate, _truncate,
    _hostile_text, _hostile_text,
]  # fmt: skip


_HUGE = "\x00kg-fuzz-huge-number\x00"


def _hostile_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.randrange(12)
    if roll == 0:
        return _HUGE  # replaced by a number literal of thousands of digits after json.dumps
    if roll == 1:
        return rng.choice([float("inf"), -0.0, 1e308, 5e-324, True, None, 0, -1])
    if roll == 2:
        nested: Any = "x"
        for _ in range(rng.choice([10, 63, 65, 200, 2000])):
            nested = [nested] if rng.random() < 0.5 else {"a": nested}
        return nested
    if roll == 3:
        return "\ud800" + rng.choice(HOSTILE_STRINGS)  # a lone surrogate, escaped by json.dumps
    if roll == 4 and depth < 3:
        return [_hostile_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if roll == 5 and depth < 3:
        return {rng.choice(HOSTILE_STRINGS)[:20]: _hostile_value(rng, depth + 1)}
    if roll == 6:
        return "".join(rng.choice(HOSTILE_STRINGS) for _ in range(rng.randrange(1, 6)))
    if roll == 7:
        return "x" * rng.choice([99_999, 100_000, 100_001, 140_000])
    if roll == 8:
        return "".join(chr(rng.choice([rng.randrange(0x20, 0xD800), rng.randrange(0xE000, 0x110000)]))
                       for _ in range(rng.randrange(1, 40)))  # fmt: skip
    if roll == 9:
        return rng.choice(["2024-13-45", "0000", "9999-99", "2024-02-30", "10.1/x", "https://",
                           "0000-0002-1825-009X", "orcid.org/0000-0002-1825-0097", "W1", "I"])  # fmt: skip
    return rng.choice(HOSTILE_STRINGS)


def _nodes(value: Any) -> list[tuple[Any, ...]]:
    """Paths to every node, breadth-first, not below depth 40 (a deep nest is one node)."""
    out: list[tuple[Any, ...]] = []
    queue: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while queue:
        node, path = queue.pop()
        out.append(path)
        if len(path) >= 40:
            continue
        if isinstance(node, dict):
            queue.extend((v, (*path, k)) for k, v in node.items())
        elif isinstance(node, list):
            queue.extend((v, (*path, i)) for i, v in enumerate(node))
    return out


def _replace_at(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = value
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = new
    return value


def _mutate_json(data: bytes, rng: random.Random) -> bytes | None:
    try:
        value = json.loads(data)
    except ValueError:
        return None
    for _ in range(rng.randrange(1, 4)):
        paths = _nodes(value)
        path = rng.choice(paths)
        action = rng.randrange(5)
        if action == 0 and path:  # delete a key or item
            parent = value
            for part in path[:-1]:
                parent = parent[part]
            del parent[path[-1]]
        elif action == 1 and isinstance(value, list) and 0 < len(value) < 100:  # many records
            value = value * rng.choice([2, 20])
        else:
            value = _replace_at(value, path, _hostile_value(rng))
    try:
        text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    except (ValueError, RecursionError):
        return None
    huge = json.dumps(_HUGE)
    if huge in text:
        text = text.replace(huge, rng.choice(["9" * 20, "-" + "9" * 400, "1" * 4400, "1e99999"]))
    return (
        text.encode("utf-8", errors="surrogatepass")
        if rng.random() < 0.05
        else text.encode("utf-8", errors="backslashreplace")
    )


def _jsonl_lines(data: bytes, rng: random.Random) -> bytes | None:
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    mutated = _mutate_json(lines[i], rng)
    if mutated is None:
        return None
    lines[i] = mutated
    return b"\n".join(lines)


#: mutated inputs are cut to this size: the campaign is about malformed input, not volume (the
#: size limits have their own tests)
MAX_INPUT = 1024 * 1024


def _mutate_sparql(data: bytes, rng: random.Random) -> bytes:
    """1-6 hostile SPARQL fragments (:data:`fuzz.queries.FRAGMENTS`) spliced in: at a token
    boundary (a space) or anywhere, sometimes replacing a stretch of the query."""
    from fuzz.queries import FRAGMENTS

    text = data.decode("utf-8", "replace")
    for _ in range(rng.randrange(1, 7)):
        fragment = rng.choice(FRAGMENTS)
        spaces = [i for i, c in enumerate(text) if c == " "]
        at = rng.choice(spaces) if spaces and rng.random() < 0.6 else rng.randrange(len(text) + 1)
        cut = rng.randrange(0, 12) if rng.random() < 0.3 else 0
        text = text[:at] + fragment + text[at + cut :]
    return text.encode("utf-8", "surrogatepass")


def mutate(data: bytes, corpus: list[bytes], rng: random.Random, *, kind: str) -> bytes:
    """One mutated input from ``data``: 1-4 stacked mutations, structure-aware for JSON. Kind
    ``tagged-K`` mutates what follows the first line as kind ``K`` and keeps that line."""
    return _mutate(data, corpus, rng, kind=kind)[:MAX_INPUT]


def _mutate(data: bytes, corpus: list[bytes], rng: random.Random, *, kind: str) -> bytes:
    if kind.startswith("tagged-"):  # "TAG\nBODY": the body is mutated, the tag kept (fuzz.apis)
        tag, _, body = data.partition(b"\n")
        bodies = [c.partition(b"\n")[2] for c in corpus]
        return tag + b"\n" + _mutate(body, bodies, rng, kind=kind.removeprefix("tagged-"))
    if kind == "sparql" and rng.random() < 0.7:
        return _mutate_sparql(data, rng)
    if kind in ("json", "jsonl") and rng.random() < 0.5:
        out = (_mutate_json if kind == "json" else _jsonl_lines)(data, rng)
        if out is not None:
            data = out
            if rng.random() < 0.5:
                return data
    buf = bytearray(data)
    for _ in range(rng.randrange(1, 5)):
        if corpus and rng.random() < 0.1:  # splice with another seed
            other = rng.choice(corpus)
            cut, cut2 = rng.randrange(len(buf) + 1), rng.randrange(len(other) + 1)
            buf = buf[:cut] + bytearray(other[cut2:])
        else:
            rng.choice(_BYTE_MUTATORS)(buf, rng)
    return bytes(buf)
