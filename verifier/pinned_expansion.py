"""JSON-LD expansion, fast, for documents already in strict compacted form (:mod:`verifier.linkeddata`).

pyld implements the whole JSON-LD 1.1 expansion algorithm: every key of every object goes
through a dozen generic branches (framing, ``@nest``, index maps, reverse properties, ...),
and the input is deep-copied first. A credential that passed :func:`check_context` and
:func:`check_compacted_form` uses a small part of that: terms of pinned contexts, ``id`` and
``type``, value objects, ``@set``/``@list``/``@graph``/``@language`` containers, ``@json``
literals, type- and property-scoped contexts. :class:`PinnedExpander` runs the same algorithm
for exactly that part, on pyld's own processed contexts (so context processing, ``@protected``
and IRI expansion stay pyld's), with what it learns about each term memoized per active
context. It produces the same expanded document as pyld — same values, same order.

It never decides a hard case. Whenever pyld would drop something, raise an error, or take a
branch not written here, it raises :class:`Unsupported` and the caller expands the document
with pyld instead, which gives the error (or the result) the strict checks expect. The tests
compare both on every vector and on thousands of generated variations.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyld import jsonld
from pyld.jsonld import JsonLdProcessor

_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")  # pyld's _is_absolute_iri
_KEYWORDS = frozenset(jsonld.KEYWORDS)
_MAP_CONTAINERS = frozenset({"@index", "@id", "@type"})
_NO_DATATYPE = (None, "@id", "@vocab", "@none")
_MEMO_LIMIT = 50_000


class Unsupported(Exception):
    """This document needs the general algorithm (pyld); nothing about it is decided here."""


@dataclass(frozen=True, slots=True)
class _Term:
    """What one key means in one active context (JSON-LD 1.1 term definition, as pyld made it)."""

    iri: Any  # the key expanded with vocab: an absolute IRI, a keyword, or something dropped
    usable: bool  # an absolute IRI or a keyword (anything else pyld drops)
    keyword: bool
    context: Any  # the property-scoped (or, for a type, type-scoped) context, or None
    container: frozenset[str]
    coercion: Any  # the term's @type: @id, @vocab, @json, @none, a datatype IRI, or None
    language: Any
    direction: Any
    reverse: bool


_TERMS: dict[tuple[str, str], _Term] = {}
_SCOPED: dict[tuple[str, int, bool], tuple[Any, Any]] = {}


class PinnedExpander:
    """Expand one document with ``processor`` (pyld's, or a subclass) and its expansion ``options``.

    ``accept_iri`` and ``accept_language`` are the caller's rules for every ``@id``, ``@type``
    and datatype IRI and every language tag of the output: a value they refuse makes the
    document :class:`Unsupported` (the general path then reports it), so a caller need not walk
    the expanded document again to check them.
    """

    def __init__(
        self,
        processor: JsonLdProcessor,
        options: dict[str, Any],
        *,
        accept_iri: Callable[[Any], bool],
        accept_language: Callable[[Any], bool],
    ) -> None:
        self._processor = processor
        self._options = options
        self._base = options.get("base", "")
        self._accept_iri = accept_iri
        self._accept_language = accept_language

    def expand(self, document: Any) -> list[Any]:
        if not isinstance(document, dict) or "@context" not in document:
            raise Unsupported
        initial = self._processor._get_initial_context(self._options)
        return [self._node(initial, None, document, inside_list=False)]

    # --- memoized facts about terms and contexts ----------------------------------------------

    def _term(self, ctx: Any, key: str) -> _Term:
        uuid_ = ctx.get("_uuid")
        if uuid_ is None:
            raise Unsupported
        memo_key = (uuid_, key)
        found = _TERMS.get(memo_key)
        if found is None:
            found = _TERMS[memo_key] = self._define(ctx, key)
            if len(_TERMS) > _MEMO_LIMIT:
                _TERMS.clear()  # keys include document values (types): keep it bounded
                _TERMS[memo_key] = found
        return found

    def _define(self, ctx: Any, key: str) -> _Term:
        iri = self._processor._expand_iri(ctx, key, vocab=True)
        keyword = isinstance(iri, str) and iri in _KEYWORDS
        usable = keyword or (isinstance(iri, str) and _ABSOLUTE.match(iri) is not None)
        container = JsonLdProcessor.get_context_value(ctx, key, "@container")
        containers = container if isinstance(container, list) else [container]
        mapping = ctx["mappings"].get(key)
        return _Term(
            iri=iri,
            usable=usable,
            keyword=keyword,
            context=JsonLdProcessor.get_context_value(ctx, key, "@context"),
            container=frozenset(c for c in containers if c is not None),
            coercion=JsonLdProcessor.get_context_value(ctx, key, "@type"),
            language=JsonLdProcessor.get_context_value(ctx, key, "@language"),
            direction=JsonLdProcessor.get_context_value(ctx, key, "@direction"),
            reverse=bool(mapping and mapping.get("reverse")),
        )

    def _scoped(self, ctx: Any, local: Any, *, propagate: bool) -> Any:
        """``ctx`` with a scoped context applied (property-scoped: propagating, overriding
        protection; type-scoped: not propagating), as pyld's expansion applies them."""
        if not isinstance(local, dict) or "@import" in local:
            raise Unsupported  # only inline term definitions are memoized safely by identity
        uuid_ = ctx.get("_uuid")
        if uuid_ is None:
            raise Unsupported
        memo_key = (uuid_, id(local), propagate)
        found = _SCOPED.get(memo_key)
        if found is not None and found[0] is local:
            return found[1]
        if propagate:
            result = self._processor._process_context(ctx, local, self._options, override_protected=True)
        else:
            result = self._processor._process_context(ctx, local, self._options, propagate=False)
        if len(_SCOPED) > _MEMO_LIMIT:
            _SCOPED.clear()
        _SCOPED[memo_key] = (local, result)  # holds ``local``: its id stays unique
        return result

    def _iri(self, ctx: Any, value: str, *, vocab: bool = False) -> Any:
        iri = self._processor._expand_iri(ctx, value, base=self._base, vocab=vocab)
        if not self._accept_iri(iri):
            raise Unsupported
        return iri

    # --- the expansion algorithm, for the compacted form only ---------------------------------

    def _value(self, ctx: Any, prop: str, value: Any, *, inside_list: bool) -> Any:
        if isinstance(value, list):
            if any(isinstance(item, list) for item in value):
                raise Unsupported  # a list of lists (the compacted form refuses them anyway)
            inside = inside_list or "@list" in self._term(ctx, prop).container
            return [self._value(ctx, prop, item, inside_list=inside) for item in value]
        if isinstance(value, dict):
            return self._node(ctx, prop, value, inside_list=inside_list)
        if value is None:
            raise Unsupported
        term = self._term(ctx, prop)
        if term.keyword or (not inside_list and term.iri == "@graph"):
            raise Unsupported
        coercion = term.coercion
        if coercion == "@id" and isinstance(value, str):
            return {"@id": self._iri(ctx, value)}
        if coercion == "@vocab" and isinstance(value, str):
            return {"@id": self._iri(ctx, value, vocab=True)}
        result: dict[str, Any] = {}
        if coercion not in _NO_DATATYPE:
            if coercion != "@json" and not self._accept_iri(coercion):
                raise Unsupported
            result["@type"] = coercion
        elif isinstance(value, str):
            if term.language is not None:
                if not self._accept_language(term.language):
                    raise Unsupported
                result["@language"] = term.language
            if term.direction is not None:
                result["@direction"] = term.direction
        result["@value"] = value
        return result

    def _node(self, ctx: Any, prop: str | None, element: dict[str, Any], *, inside_list: bool) -> Any:
        prop_term = None if prop is None else self._term(ctx, prop)
        previous = ctx.get("previousContext")
        if previous is not None:  # revert a type-scoped context, unless this is a value or a reference
            revert = True
            if len(element) <= 2 and "@context" not in element:
                for key in sorted(element):
                    iri = self._term(ctx, key).iri
                    if iri == "@value" or (iri == "@id" and len(element) == 1):
                        revert = False
                        break
            if revert:
                ctx = previous
        if prop_term is not None and prop_term.context is not None:
            ctx = self._scoped(ctx, prop_term.context, propagate=True)
        if "@context" in element:  # the document's, or an embedded credential's: pinned URLs
            local = element["@context"]
            urls = local if isinstance(local, list) else [local]
            if not all(isinstance(url, str) for url in urls):
                raise Unsupported
            ctx = self._processor._process_context(ctx, local, self._options)
        type_scoped = ctx
        type_key = None
        for key in sorted(element):
            if self._term(ctx, key).iri != "@type":
                continue
            type_key = type_key or key
            raw = element[key]
            for type_ in sorted(t for t in (raw if isinstance(raw, list) else [raw]) if isinstance(t, str)):
                scoped = self._term(type_scoped, type_).context
                if scoped is not None and scoped is not False:
                    ctx = self._scoped(ctx, scoped, propagate=False)
        result = self._object(ctx, element, type_key, type_scoped)
        count = len(result)
        if "@value" in result:
            self._check_value_object(ctx, element, result, count)
        elif "@type" in result:
            if not isinstance(result["@type"], list):
                result["@type"] = [result["@type"]]
        elif count == 1 and "@language" in result:
            raise Unsupported
        if (
            not inside_list
            and (prop is None or (prop_term is not None and prop_term.iri == "@graph"))
            and (count == 0 or "@value" in result or (count == 1 and "@id" in result))
        ):
            raise Unsupported  # pyld drops a free-floating node, value or reference here
        return result

    def _check_value_object(
        self, ctx: Any, element: dict[str, Any], result: dict[str, Any], count: int
    ) -> None:
        extra = count - 1 - sum(k in result for k in ("@type", "@index", "@language", "@direction"))
        if extra or ("@type" in result and ("@language" in result or "@direction" in result)):
            raise Unsupported
        if "@type" in result:
            if any(self._term(ctx, k).iri == "@type" and isinstance(v, list) for k, v in element.items()):
                raise Unsupported
            datatype = result["@type"]
            if datatype == "@json":
                return
            if not isinstance(datatype, str) or datatype.startswith("_:") or not _ABSOLUTE.match(datatype):
                raise Unsupported
        if "@language" in result and not (
            isinstance(result["@value"], str) and self._accept_language(result["@language"])
        ):
            raise Unsupported

    def _object(
        self, ctx: Any, element: dict[str, Any], type_key: str | None, type_scoped: Any
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key in sorted(element):
            if key == "@context":
                continue
            value = element[key]
            term = self._term(ctx, key)
            if not term.usable:
                raise Unsupported  # pyld drops the key (strict expansion then refuses the document)
            if term.keyword:
                self._keyword(term.iri, value, result, ctx, type_scoped)
                continue
            term_ctx = ctx if term.context is None else self._scoped(ctx, term.context, propagate=True)
            container = term.container
            if "@language" in container and isinstance(value, dict):
                expanded: Any = self._language_map(term_ctx, value, term.direction)
            elif container & _MAP_CONTAINERS and isinstance(value, dict):
                raise Unsupported
            elif term.coercion == "@json":
                expanded = {"@type": "@json", "@value": copy.deepcopy(value)}
            else:
                expanded = self._value(term_ctx, key, value, inside_list=False)
            if "@list" in container and not (isinstance(expanded, dict) and "@list" in expanded):
                expanded = {"@list": expanded if isinstance(expanded, list) else [expanded]}
            if "@graph" in container and "@id" not in container and "@index" not in container:
                expanded = [{"@graph": [v]} for v in (expanded if isinstance(expanded, list) else [expanded])]
            if self._term(term_ctx, key).reverse:
                raise Unsupported
            values = result.get(term.iri)
            if values is None:
                values = result[term.iri] = []
            if isinstance(expanded, list):
                values.extend(expanded)
            else:
                values.append(expanded)
        return result

    def _keyword(self, keyword: str, value: Any, result: dict[str, Any], ctx: Any, type_scoped: Any) -> None:
        if keyword in result and keyword != "@type":
            raise Unsupported  # colliding keywords
        if keyword == "@id":
            if not isinstance(value, str):
                raise Unsupported
            result["@id"] = self._iri(ctx, value)
        elif keyword == "@type":
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) for v in values):
                raise Unsupported
            for item in values:
                expanded = self._iri(type_scoped, item, vocab=True)
                if "@type" not in result:
                    result["@type"] = expanded
                elif isinstance(result["@type"], list):
                    result["@type"].append(expanded)
                else:
                    result["@type"] = [result["@type"], expanded]
        elif keyword == "@value":
            if value is None or isinstance(value, dict | list):
                raise Unsupported
            result["@value"] = value
        elif keyword == "@language":
            if not isinstance(value, str):
                raise Unsupported
            result["@language"] = value.lower()
        elif keyword == "@direction":
            if value not in ("ltr", "rtl"):
                raise Unsupported
            result["@direction"] = value
        else:
            raise Unsupported  # @graph, @included, @reverse, @index, @nest, @set, @list, ...

    def _language_map(self, ctx: Any, language_map: dict[str, Any], direction: Any) -> list[dict[str, Any]]:
        expanded = []
        for language in sorted(language_map):
            items = language_map[language]
            none = self._processor._expand_iri(ctx, language, base=self._base, vocab=True) == "@none"
            if not none and not self._accept_language(language.lower()):
                raise Unsupported
            for item in items if isinstance(items, list) else [items]:
                if not isinstance(item, str):
                    raise Unsupported
                value: dict[str, Any] = {"@value": item}
                if not none:
                    value["@language"] = language.lower()
                if direction:
                    value["@direction"] = direction
                expanded.append(value)
        return expanded
