"""Expanded JSON-LD to RDF quads (JSON-LD 1.1 API §8.? "Deserialize JSON-LD to RDF").

The input is the output of strict expansion (:func:`verifier.linkeddata.expand`), so there are
no contexts left to apply and no relative IRIs (they were refused). What remains is a direct
walk: every node object becomes a subject, ``@type`` becomes ``rdf:type``, value objects become
literals (numbers and booleans in their canonical XSD form, ``@json`` as JCS, language and
``i18n-datatype`` direction as the W3C cryptosuites set them), ``@list`` becomes an RDF
collection, and a graph object (``proof`` is one) becomes a named graph with a blank-node name.

The quads come out with their terms already written in canonical N-Quads form, ready for
RDFC-1.0. pyld's generic node-map route did the same work about three times slower; the tests
compare both on every vector.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .canonical import Quad, canonize_jcs, iri_term, literal_term, vocabulary_term

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE_IRI = RDF + "type"
_RDF_TYPE = iri_term(_RDF_TYPE_IRI)
_RDF_FIRST = iri_term(RDF + "first")
_RDF_REST = iri_term(RDF + "rest")
_RDF_NIL = iri_term(RDF + "nil")
_RDF_JSON = RDF + "JSON"
_RDF_LANGSTRING = RDF + "langString"
_XSD_STRING = XSD + "string"
_XSD_BOOLEAN = XSD + "boolean"
_XSD_INTEGER = XSD + "integer"
_XSD_DOUBLE = XSD + "double"
_I18N = "https://www.w3.org/ns/i18n#"
_KEYWORDS_WITHOUT_TRIPLES = frozenset({"@id", "@type", "@index", "@reverse", "@graph", "@included"})


def canonical_double(value: float) -> str:
    """The canonical ``xsd:double`` lexical form JSON-LD uses (``1.5E0``, ``1.0E21``)."""
    return re.sub(r"(\d)0*E\+?(-)?0*(\d)", r"\1E\2\3", f"{value:1.15E}")


class _Converter:
    def __init__(self) -> None:
        self._counter = itertools.count()
        self._labels: dict[str, str] = {}
        self.quads: list[Quad] = []

    def blank(self, label: str | None = None) -> str:
        if label is None:
            return f"_:b{next(self._counter)}"
        found = self._labels.get(label)
        if found is None:
            found = self._labels[label] = f"_:b{next(self._counter)}"
        return found

    def subject(self, identifier: str | None) -> str:
        if identifier is None:
            return self.blank()
        return self.blank(identifier) if identifier.startswith("_:") else iri_term(identifier)

    def emit(self, s: str, predicate: str, o: str, g: str) -> None:
        self.quads.append(Quad(s, vocabulary_term(predicate), o, g, predicate))

    def node(self, node: Mapping[str, Any], graph: str) -> str:
        """Emit the quads of a node object in ``graph``; return its subject term."""
        subject = self.subject(node.get("@id"))
        if "@graph" in node:
            # A graph object: its nodes live in a named graph named by this node.
            for member in node["@graph"]:
                if isinstance(member, dict):
                    self.node(member, subject)
        for type_ in node.get("@type", []):
            type_term = self.blank(type_) if type_.startswith("_:") else vocabulary_term(type_)
            self.quads.append(Quad(subject, _RDF_TYPE, type_term, graph, _RDF_TYPE_IRI))
        for prop, objects in node.items():
            if prop in _KEYWORDS_WITHOUT_TRIPLES or prop.startswith("_:"):
                continue  # blank-node predicates are generalized RDF, which is not produced
            for item in objects:
                obj = self.object(item, graph)
                if obj is not None:
                    self.emit(subject, prop, obj, graph)
        for prop, referrers in node.get("@reverse", {}).items():
            for referrer in referrers:
                self.emit(self.node(referrer, graph), prop, subject, graph)
        for included in node.get("@included", []):
            self.node(included, graph)
        return subject

    def object(self, item: Any, graph: str) -> str | None:
        if "@value" in item:
            return self.literal(item)
        if "@list" in item:
            return self.collection(item["@list"], graph)
        return self.node(item, graph)

    def collection(self, items: list[Any], graph: str) -> str:
        if not items:
            return _RDF_NIL
        head = subject = self.blank()
        for position, item in enumerate(items):
            obj = self.object(item, graph)
            if obj is not None:
                self.quads.append(Quad(subject, _RDF_FIRST, obj, graph, RDF + "first"))
            rest = _RDF_NIL if position == len(items) - 1 else self.blank()
            self.quads.append(Quad(subject, _RDF_REST, rest, graph, RDF + "rest"))
            subject = rest
        return head

    @staticmethod
    def literal(item: Mapping[str, Any]) -> str:
        value = item["@value"]
        datatype = item.get("@type")
        if datatype == "@json":
            return literal_term(canonize_jcs(value).decode("utf-8"), _RDF_JSON)
        if isinstance(value, bool):
            return literal_term("true" if value else "false", datatype or _XSD_BOOLEAN)
        if isinstance(value, int | float):
            integral = isinstance(value, int) or float(value).is_integer()
            if not integral or datatype == _XSD_DOUBLE or abs(value) >= 1e21:
                return literal_term(canonical_double(float(value)), datatype or _XSD_DOUBLE)
            return literal_term(str(int(value)), datatype or _XSD_INTEGER)
        language = item.get("@language")
        direction = item.get("@direction")
        if direction is not None:
            return literal_term(value, f"{_I18N}{language or ''}_{direction}")
        if language is not None:
            return literal_term(value, _RDF_LANGSTRING, language)
        return literal_term(value, datatype or _XSD_STRING)


def expanded_to_quads(expanded: list[Any]) -> list[Quad]:
    """All quads of an expanded JSON-LD document, terms in canonical N-Quads form."""
    converter = _Converter()
    for node in expanded:
        if isinstance(node, dict) and "@value" not in node:
            if "@graph" in node and "@id" not in node and len(node) == 1:
                for member in node["@graph"]:
                    converter.node(member, "")  # a top-level @graph is the default graph
            else:
                converter.node(node, "")
    return converter.quads


def iter_subjects(quads: list[Quad]) -> Iterator[str]:
    """Distinct subjects, in first-seen order (for tests and debugging)."""
    seen: set[str] = set()
    for quad in quads:
        if quad.s not in seen:
            seen.add(quad.s)
            yield quad.s
