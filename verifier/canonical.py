"""RDF Dataset Canonicalization (RDFC-1.0) and JSON Canonicalization (RFC 8785).

RDFC-1.0 (W3C Recommendation, 2024) is implemented here rather than taken from pyld for three
reasons the Data Integrity cryptosuites care about:

* **Escaping.** Canonical N-Quads (RDFC-1.0 §4.3, RDF 1.1 N-Quads canonical form) escape
  ``\\b \\t \\n \\f \\r \\" \\\\`` with ECHAR and every other control character (U+0000–U+001F,
  U+007F) as ``\\uXXXX`` with upper-case hex. pyld 3.3 leaves most control characters raw, so a
  credential signed by another implementation could fail to verify here.
* **Hash parameter.** ecdsa-rdfc-2019 with P-384 runs RDFC-1.0 with SHA-384 (RDFC-1.0 §4.2).
* **Work limit.** RDFC-1.0 §6 ("Dataset poisoning") asks implementations to bound the work
  spent on blank nodes that cannot be told apart; a few-KB document can otherwise take
  minutes. :class:`CanonicalizationLimitError` is raised once ``max_work`` is spent.

The input is the RDF dataset pyld produces (``{graph: [triple, ...]}`` with term dicts).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

#: Default work budget: N-degree hash calls plus permutations tried (RDFC-1.0 §4.8), about
#: 0.25 s here. Typical credentials need none; the largest OB 3.0 spec example needs 2,916; a
#: blank-node clique of 6 nodes needs 41,046 and one of 7 needs 403,207.
DEFAULT_MAX_WORK = 100_000
#: RDFC-1.0 §4.4.3 (note): "more than a couple of iterations on 4.8 per blank node would be
#: unusual". Hash N-Degree Quads may run at most this many times per blank node (plus 50).
MAX_N_DEGREE_CALLS_PER_NODE = 10


class CanonicalizationLimitError(ValueError):
    """The dataset needs more canonicalization work than allowed (RDFC-1.0 §6, poisoning)."""


# --- Canonical N-Quads term serialization (RDFC-1.0 §4.3 / N-Quads canonical form) -----------

_LITERAL_ESCAPES = {i: f"\\u{i:04X}" for i in [*range(0x20), 0x7F]}
_LITERAL_ESCAPES.update(
    {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}
)
_IRI_ESCAPES = {i: f"\\u{i:04X}" for i in [*range(0x21), *map(ord, '<>"{}|^`\\')]}


def iri_term(value: str) -> str:
    """An IRI in canonical N-Quads form."""
    return "<" + value.translate(_IRI_ESCAPES) + ">"


_VOCABULARY_TERMS: dict[str, str] = {}


def vocabulary_term(value: str) -> str:
    """:func:`iri_term` for IRIs that recur in every document (predicates, classes, datatypes)."""
    found = _VOCABULARY_TERMS.get(value)
    if found is None:
        if len(_VOCABULARY_TERMS) > 10_000:
            _VOCABULARY_TERMS.clear()  # predicates come from documents too: stay bounded
        found = _VOCABULARY_TERMS[value] = iri_term(value)
    return found


def literal_term(value: str, datatype: str = XSD_STRING, language: str | None = None) -> str:
    """A literal in canonical N-Quads form (xsd:string implicit, langString as ``@lang``)."""
    text = '"' + value.translate(_LITERAL_ESCAPES) + '"'
    if datatype == RDF_LANGSTRING:
        return f"{text}@{language}"
    if datatype != XSD_STRING:
        return f"{text}^^{vocabulary_term(datatype)}"
    return text


def _term(term: Mapping[str, Any]) -> str:
    kind = term["type"]
    if kind == "IRI":
        return iri_term(term["value"])
    if kind == "blank node":
        return str(term["value"])
    return literal_term(term["value"], term.get("datatype") or XSD_STRING, term.get("language"))


@dataclass(slots=True)
class Quad:
    """A quad with pre-serialized terms; blank nodes stay as ``_:label``."""

    s: str
    p: str
    o: str
    g: str  # "" for the default graph
    predicate: str  # the predicate IRI itself, as §4.7 hashes it

    def line(self, relabel: Mapping[str, str] | None = None) -> str:
        s, o, g = self.s, self.o, self.g
        if relabel is not None:
            s = relabel.get(s, s)
            o = relabel.get(o, o)
            g = relabel.get(g, g)
        return _nquad(s, self.p, o, g)

    def first_degree_line(self, node: str) -> str:
        """The line §4.6 hashes for ``node``: itself as ``_:a``, every other blank node ``_:z``."""
        s, o, g = self.s, self.o, self.g
        s = ("_:a" if s == node else "_:z") if s[:2] == "_:" else s
        o = ("_:a" if o == node else "_:z") if o[:2] == "_:" else o
        g = ("_:a" if g == node else "_:z") if g[:2] == "_:" else g
        return _nquad(s, self.p, o, g)


def _nquad(s: str, p: str, o: str, g: str) -> str:
    return f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n"


def _quads_from_dataset(dataset: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[Quad]:
    quads: list[Quad] = []
    for graph_name, triples in dataset.items():
        if graph_name == "@default":
            g = ""
        elif graph_name.startswith("_:"):
            g = graph_name
        else:
            g = iri_term(graph_name)
        for triple in triples:
            predicate = triple["predicate"]["value"]
            quads.append(
                Quad(
                    _term(triple["subject"]),
                    iri_term(predicate),
                    _term(triple["object"]),
                    g,
                    predicate,
                )
            )
    return quads


def _is_blank(term: str) -> bool:
    return term.startswith("_:")


# --- RDFC-1.0 (§4) ---------------------------------------------------------------------------


class _IdentifierIssuer:
    """Issues identifiers with a prefix and counter, remembering the order (§4.5)."""

    __slots__ = ("counter", "issued", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counter = 0
        self.issued: dict[str, str] = {}  # insertion-ordered: the spec's "issued identifiers list"

    def issue(self, existing: str) -> str:
        found = self.issued.get(existing)
        if found is not None:
            return found
        new = f"{self.prefix}{self.counter}"
        self.counter += 1
        self.issued[existing] = new
        return new

    def copy(self) -> _IdentifierIssuer:
        clone = _IdentifierIssuer(self.prefix)
        clone.counter = self.counter
        clone.issued = dict(self.issued)
        return clone


class _Canonicalizer:
    def __init__(self, quads: list[Quad], hash_name: str, max_work: int) -> None:
        self.quads = quads
        self.hash_name = hash_name
        self.work_left = max_work
        self.calls_left = 0  # set in run(), once the blank nodes are counted
        self.blank_to_quads: dict[str, list[Quad]] = {}
        self.first_degree: dict[str, str] = {}
        self.canonical = _IdentifierIssuer("_:c14n")

    def _hash(self, text: str) -> str:
        return hashlib.new(self.hash_name, text.encode("utf-8")).hexdigest()

    def _spend(self) -> None:
        self.work_left -= 1
        if self.work_left < 0:
            raise CanonicalizationLimitError(
                "the document has too many blank nodes that cannot be told apart; "
                "canonicalizing it would take too long (RDFC-1.0 §6, dataset poisoning)"
            )

    # §4.6 Hash First Degree Quads
    def hash_first_degree(self, node: str) -> str:
        cached = self.first_degree.get(node)
        if cached is not None:
            return cached
        lines = sorted(quad.first_degree_line(node) for quad in self.blank_to_quads[node])
        result = self._hash("".join(lines))
        self.first_degree[node] = result
        return result

    # §4.7 Hash Related Blank Node
    def hash_related(self, related: str, quad: Quad, issuer: _IdentifierIssuer, position: str) -> str:
        if related in self.canonical.issued:
            ident = self.canonical.issued[related]
        elif related in issuer.issued:
            ident = issuer.issued[related]
        else:
            ident = self.hash_first_degree(related)
        text = position + ("" if position == "g" else f"<{quad.predicate}>") + ident
        return self._hash(text)

    # §4.8 Hash N-Degree Quads
    def hash_n_degree(self, node: str, issuer: _IdentifierIssuer) -> tuple[str, _IdentifierIssuer]:
        self._spend()
        self.calls_left -= 1
        if self.calls_left < 0:
            raise CanonicalizationLimitError(
                "the document has blank nodes that cannot be told apart without unusually deep "
                "hashing (RDFC-1.0 §4.4.3: refused as a likely dataset-poisoning attack)"
            )
        hash_to_related: dict[str, list[str]] = {}
        for quad in self.blank_to_quads[node]:
            for position, term in (("s", quad.s), ("o", quad.o), ("g", quad.g)):
                if _is_blank(term) and term != node:
                    h = self.hash_related(term, quad, issuer, position)
                    hash_to_related.setdefault(h, []).append(term)
        data = ""
        for related_hash in sorted(hash_to_related):
            data += related_hash
            chosen_path = ""
            chosen_issuer: _IdentifierIssuer | None = None
            for permutation in itertools.permutations(hash_to_related[related_hash]):
                self._spend()
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    if related in self.canonical.issued:
                        path += self.canonical.issued[related]
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += issuer_copy.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self.hash_n_degree(related, issuer_copy)
                    path += issuer_copy.issue(related) + "<" + result_hash + ">"
                    issuer_copy = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            data += chosen_path
            if chosen_issuer is not None:
                issuer = chosen_issuer
        return self._hash(data), issuer

    # §4.4 Canonicalization algorithm
    def run(self) -> str:
        for quad in self.quads:
            for term in (quad.s, quad.o, quad.g):
                if term[:2] == "_:":
                    entries = self.blank_to_quads.setdefault(term, [])
                    if not entries or entries[-1] is not quad:
                        entries.append(quad)
        self.calls_left = MAX_N_DEGREE_CALLS_PER_NODE * len(self.blank_to_quads) + 50
        hash_to_nodes: dict[str, list[str]] = {}
        for node in self.blank_to_quads:
            hash_to_nodes.setdefault(self.hash_first_degree(node), []).append(node)
        shared: list[tuple[str, list[str]]] = []
        for h in sorted(hash_to_nodes):
            nodes = hash_to_nodes[h]
            if len(nodes) == 1:
                self.canonical.issue(nodes[0])
            else:
                shared.append((h, nodes))
        for _h, nodes in shared:
            results: list[tuple[str, _IdentifierIssuer]] = []
            for node in nodes:
                if node in self.canonical.issued:
                    continue
                temporary = _IdentifierIssuer("_:b")
                temporary.issue(node)
                results.append(self.hash_n_degree(node, temporary))
            results.sort(key=lambda pair: pair[0])
            for _hash, issuer in results:
                for existing in issuer.issued:
                    self.canonical.issue(existing)
        relabel = self.canonical.issued
        return "".join(sorted(quad.line(relabel) for quad in self.quads))


def canonize_dataset(
    dataset: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    hash_algorithm: str = "sha256",
    max_work: int = DEFAULT_MAX_WORK,
) -> str:
    """Return the RDFC-1.0 canonical N-Quads of ``dataset`` (a pyld RDF dataset).

    ``hash_algorithm`` is ``"sha256"`` (default) or ``"sha384"``. Raises
    :class:`CanonicalizationLimitError` when more than ``max_work`` N-degree hashing steps
    would be needed.
    """
    return canonize_quads(_quads_from_dataset(dataset), hash_algorithm=hash_algorithm, max_work=max_work)


def canonize_quads(
    quads: Iterable[Quad],
    *,
    hash_algorithm: str = "sha256",
    max_work: int = DEFAULT_MAX_WORK,
) -> str:
    """Return the RDFC-1.0 canonical N-Quads of ``quads`` (duplicates are one quad)."""
    if hash_algorithm not in ("sha256", "sha384"):
        raise ValueError(f"hash_algorithm must be 'sha256' or 'sha384', not {hash_algorithm!r}")
    unique: dict[tuple[str, str, str, str], Quad] = {}
    for quad in quads:  # an RDF dataset is a set of quads
        unique.setdefault((quad.s, quad.p, quad.o, quad.g), quad)
    return _Canonicalizer(list(unique.values()), hash_algorithm, max_work).run()


def canonize_jcs(value: Any) -> bytes:
    """Return the RFC 8785 JSON Canonicalization Scheme serialization of ``value``."""
    return _jcs(value).encode("utf-8")


def _jcs(value: Any) -> str:
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(f"{_jcs(k)}:{_jcs(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise ValueError("JCS cannot represent integers beyond ±(2**53 - 1) exactly")
        return str(value)
    if isinstance(value, float):
        return _es_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"JCS cannot serialize {type(value).__name__}")


def _es_number(value: float) -> str:
    """ECMAScript Number::toString, as RFC 8785 §3.2.2.3 requires."""
    if not math.isfinite(value):
        raise ValueError("JCS cannot serialize NaN or infinity")
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)  # shortest round-trip digits, like ECMAScript
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    exp = int(exponent)
    digits = mantissa.replace(".", "").lstrip("-")
    sign = "-" if value < 0 else ""
    if -7 < exp < 0:
        return sign + "0." + "0" * (-exp - 1) + digits.rstrip("0")
    frac = digits[1:].rstrip("0")
    return f"{sign}{digits[0]}{'.' + frac if frac else ''}e{'+' if exp > 0 else '-'}{abs(exp)}"
