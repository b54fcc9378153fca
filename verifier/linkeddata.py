"""Strict JSON-LD processing: what is shown must be exactly what is signed.

A Data Integrity signature covers the RDF a document expands to, not its JSON. Anything in the
JSON that expansion drops (an undefined term, a relative IRI, a keyword trick such as ``@nest``)
is shown to a reader but not signed. VC Data Integrity §2.5 ("secure data losslessly") and VC
Data Model 2.0 §4.3 / §6 (documents in compacted form against known contexts) therefore make
these errors. This module applies, in order:

1. :func:`check_context` — ``@context`` only at the top, only pinned URLs, VC base context first;
2. :func:`check_compacted_form` — no ``@``-keywords except in language/value objects, no keys
   that are IRIs or compact IRIs, no ``null`` (which JSON-LD silently drops);
3. :func:`expand` — pyld expansion that fails on a dropped property, then a lossless check:
   every scalar of the JSON must survive into the expanded form, and every ``@id`` / ``@type``
   must be an absolute IRI or a blank node;
4. (in :mod:`verifier.rdf`) RDF conversion with the options the W3C cryptosuites use
   (``rdfDirection: i18n-datatype``, no generalized RDF).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping
from typing import Any

from pyld import jsonld
from pyld.context_resolver import ContextResolver

from .canonical import canonize_jcs
from .contexts import VC_V1, VC_V2, DocumentLoader, default_store
from .i18n import t
from .memo import Memo, content_key
from .pinned_expansion import PinnedExpander, Unsupported
from .problems import (
    DATA_LOSS_DETECTION_ERROR,
    MALFORMED_VALUE_ERROR,
    PARSING_ERROR,
    ProblemError,
    fail,
)

_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_VALUE_OBJECT_KEYS = frozenset({"@value", "@language", "@direction", "@type"})
_BASE_CONTEXTS = (VC_V2, VC_V1)

JsonPath = str


def _path(parent: JsonPath, key: str | int) -> JsonPath:
    return f"{parent}[{key}]" if isinstance(key, int) else f"{parent}.{key}"


# --- pyld, with its processed-context cache made to work ---------------------------------------
#
# pyld caches a processed context per (context, active context uuid). Two things defeat that
# cache for type-scoped contexts, which Open Badges uses on every class: a non-propagating
# context first clones the active context (a fresh uuid, so always a miss), and every embedded
# context is keyed by its JCS serialization, recomputed on each use. Both results depend only
# on objects that never change (the pinned contexts and the processed contexts pyld already
# caches), so they are memoized here. Output is unchanged (tests compare against plain pyld);
# verification gets about twice as fast.

_NON_PROPAGATING_CLONES: dict[str, dict[str, Any]] = {}
_EMBEDDED_CONTEXT_KEYS: dict[int, tuple[Any, str]] = {}
_MEMO_LIMIT = 4096
_EXPANDED_IRIS: dict[tuple[str, str, Any, bool], Any] = {}
_IRI_MEMO_LIMIT = 100_000
_MISSING = object()
_EXPANSIONS: Memo[list[Any]] = Memo(256)


class _Processor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    def _process_context(  # noqa: PLR0917 - pyld's signature
        self,
        active_ctx: dict[str, Any],
        local_ctx: Any,
        options: dict[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: set[str] | None = None,
    ) -> Any:
        if not propagate and "_uuid" in active_ctx and not active_ctx.get("previousContext"):
            clone = _NON_PROPAGATING_CLONES.get(active_ctx["_uuid"])
            if clone is None:
                clone = self._clone_active_context(active_ctx)
                clone["previousContext"] = active_ctx
                clone["_uuid"] = str(uuid.uuid4())
                if len(_NON_PROPAGATING_CLONES) < _MEMO_LIMIT:
                    _NON_PROPAGATING_CLONES[active_ctx["_uuid"]] = clone
            active_ctx = clone
        return super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )

    def _expand_iri(  # noqa: PLR0917 - pyld's signature
        self,
        active_ctx: dict[str, Any],
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        # Outside context processing, the result depends only on the (immutable, cached)
        # active context, the value, the base and vocab: memoize it. Expansion calls this for
        # every key and type, ~450 times per credential, almost always with the same inputs.
        uuid_ = active_ctx.get("_uuid")
        if local_ctx is not None or uuid_ is None or not isinstance(value, str):
            return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        key = (uuid_, value, base, vocab)
        found = _EXPANDED_IRIS.get(key, _MISSING)
        if found is _MISSING:
            found = super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
            if len(_EXPANDED_IRIS) >= _IRI_MEMO_LIMIT:
                _EXPANDED_IRIS.clear()  # values include document IRIs: keep the memo bounded
            _EXPANDED_IRIS[key] = found
        return found


class _Resolver(ContextResolver):  # type: ignore[misc]
    def resolve(self, active_ctx: Any, context: Any, base: Any, cycles: Any = None) -> Any:
        if isinstance(context, dict) and "@context" not in context:
            entry = _EMBEDDED_CONTEXT_KEYS.get(id(context))
            if entry is None or entry[0] is not context:
                entry = (context, canonize_jcs(dict(context)).decode("utf-8"))
                if len(_EMBEDDED_CONTEXT_KEYS) < _MEMO_LIMIT:
                    _EMBEDDED_CONTEXT_KEYS[id(context)] = entry  # keeps context alive: id stays unique
            resolved = self._get(entry[1])
            if resolved:
                return [resolved]
        return super().resolve(active_ctx, context, base, cycles)


def _options(loader: DocumentLoader | None, **extra: Any) -> dict[str, Any]:
    document_loader = loader or default_store().loader
    return {
        "documentLoader": document_loader,
        "contextResolver": _Resolver(jsonld._resolved_context_cache, document_loader),
        "base": None,
        "processingMode": "json-ld-1.1",
        **extra,
    }


def check_context(
    document: Mapping[str, Any],
    *,
    known: Collection[str] | None = None,
    first: Collection[str] = _BASE_CONTEXTS,
) -> list[str]:
    """Return the document's ``@context`` URLs, or raise a problem saying what is wrong.

    Inline context objects are refused even when harmless: they let the document redefine what
    its own terms mean, and the signature would follow the redefinition.
    """
    if "@context" not in document:
        raise fail(PARSING_ERROR, t("Missing @context"), t("The document has no @context."), "$")
    return _check_context_list(document["@context"], "$.@context", known=known, first=first)


def _check_context_list(
    raw: Any,
    path: JsonPath,
    *,
    known: Collection[str] | None = None,
    first: Collection[str] = _BASE_CONTEXTS,
) -> list[str]:
    known_urls = default_store().urls if known is None else known
    contexts = raw if isinstance(raw, list) else [raw]
    if not contexts:
        raise fail(PARSING_ERROR, t("Empty @context"), t("The @context list is empty."), path)
    for index, entry in enumerate(contexts):
        where = f"{path}[{index}]"
        if not isinstance(entry, str):
            raise fail(
                MALFORMED_VALUE_ERROR,
                t("Inline context refused"),
                t(
                    "Every @context entry must be the URL of a published context; inline context "
                    "objects can change what signed terms mean and are refused."
                ),
                where,
            )
        if entry not in known_urls:
            shown = entry if len(entry) <= 200 else entry[:200] + "…"
            raise fail(
                MALFORMED_VALUE_ERROR,
                t("Unknown JSON-LD context"),
                t(
                    "The context {url} is not one of the pinned contexts this verifier knows; "
                    "it is never fetched from the network.",
                    url=shown,
                ),
                where,
            )
    if contexts[0] not in first:
        raise fail(
            MALFORMED_VALUE_ERROR,
            t("Wrong base context"),
            t("The first @context entry must be {urls}.", urls=" / ".join(first)),
            f"{path}[0]",
        )
    if len(set(contexts)) != len(contexts):
        raise fail(MALFORMED_VALUE_ERROR, t("Repeated context"), t("A context is listed twice."), path)
    return list(contexts)


def check_compacted_form(document: Any, path: JsonPath = "$", *, root: bool = True) -> None:
    """Refuse JSON shapes whose meaning escapes the pinned contexts (see module docstring)."""
    if _plainly_compacted(document, root=root):
        return
    _explain_compacted_form(document, path, root=root)


def _plainly_compacted(node: Any, *, root: bool) -> bool:
    """The common case, checked without building a JSON path per key: ``True`` only when
    :func:`_explain_compacted_form` would find nothing to refuse (an embedded ``@context`` is
    left to it)."""
    if isinstance(node, list):
        return all(not isinstance(item, list) and _plainly_compacted(item, root=False) for item in node)
    if node is None:
        return False
    if not isinstance(node, dict):
        return True
    is_value_object = "@value" in node
    for key, value in node.items():
        if key[:1] == "@":
            if key == "@context":
                if root:
                    continue
                return False
            if not (is_value_object and key in _VALUE_OBJECT_KEYS):
                return False
            if key == "@value":
                continue
        elif ":" in key or not key:
            return False
        if not _plainly_compacted(value, root=False):
            return False
    return True


def _explain_compacted_form(document: Any, path: JsonPath, *, root: bool) -> None:
    """:func:`check_compacted_form`, saying where and why (raises on the first problem)."""
    if isinstance(document, list):
        for index, item in enumerate(document):
            if isinstance(item, list):
                raise fail(
                    DATA_LOSS_DETECTION_ERROR,
                    t("Nested array"),
                    t("Arrays of arrays have no meaning in JSON-LD and are dropped."),
                    _path(path, index),
                )
            _explain_compacted_form(item, _path(path, index), root=False)
        return
    if document is None:
        raise fail(
            DATA_LOSS_DETECTION_ERROR,
            t("Null value"),
            t("null values are not signed (JSON-LD drops them); leave the property out instead."),
            path,
        )
    if not isinstance(document, dict):
        return
    is_value_object = "@value" in document
    for key, value in document.items():
        where = _path(path, key)
        if key == "@context":
            if not root:
                # An embedded credential (a CLR's achievements, an endorsement) carries its own
                # @context; the same rule applies to it as to the top: pinned URLs only.
                _check_context_list(value, where)
            continue
        if key.startswith("@"):
            if not (is_value_object and key in _VALUE_OBJECT_KEYS):
                raise fail(
                    MALFORMED_VALUE_ERROR,
                    t("JSON-LD keyword refused"),
                    t(
                        "The keyword {keyword} is not allowed here; use the terms the contexts "
                        "define (for example 'id' and 'type').",
                        keyword=key,
                    ),
                    where,
                )
            if key == "@value":
                continue  # a literal value, never a structure (JSON literals are refused below)
        elif ":" in key or not key:
            raise fail(
                MALFORMED_VALUE_ERROR,
                t("Not in compacted form"),
                t(
                    "The property {name} is an IRI, not a term defined by the document's contexts.",
                    name=key,
                ),
                where,
            )
        _explain_compacted_form(value, where, root=False)


def expand(document: Mapping[str, Any], loader: DocumentLoader | None = None) -> list[Any]:
    """Expand ``document`` strictly; raise a problem on anything that would not be signed.

    Results are memoized by content (:mod:`verifier.memo`); only successes are kept.
    """
    key = content_key(document)
    return _EXPANSIONS.get_or_compute(
        None if key is None else (id(loader), key), lambda: _expand(document, loader)
    )


def _expand(document: Mapping[str, Any], loader: DocumentLoader | None) -> list[Any]:
    fast = _expand_pinned(document, loader)
    if fast is not None:
        # Lossless by construction: the fast path keeps every value and checked every IRI and
        # language tag as it went, or it gave up (tests hold it to the checks below).
        return fast
    expanded = _expand_general(document, loader)
    _check_expanded(expanded)
    shown = _count_compact_values(document)
    signed = _count_expanded_values(expanded)
    if shown != signed:
        raise fail(
            DATA_LOSS_DETECTION_ERROR,
            t("Unsigned content"),
            t(
                "{count} value(s) in the document would not be covered by the signature "
                "(JSON-LD expansion drops them).",
                count=shown - signed,
            ),
        )
    return expanded


def _expand_pinned(document: Mapping[str, Any], loader: DocumentLoader | None) -> list[Any] | None:
    """The fast expander's result, or ``None`` when the document needs pyld's general algorithm."""
    options = {**_options(loader), "isFrame": False, "keepFreeFloatingNodes": False}
    try:
        return PinnedExpander(
            _Processor(), options, accept_iri=_is_iri_or_blank, accept_language=_is_language_tag
        ).expand(document)
    except (Unsupported, jsonld.JsonLdError):
        return None  # pyld decides: the same result, or the error with its message


def _expand_general(document: Mapping[str, Any], loader: DocumentLoader | None) -> list[Any]:
    """pyld's expansion, failing on any property it drops."""
    dropped: list[str] = []
    try:
        processor = _Processor(on_property_dropped=dropped.append)
        expanded: list[Any] = processor.expand(dict(document), _options(loader))
    except jsonld.JsonLdError as exc:
        raise _from_jsonld_error(exc) from None
    if dropped:
        raise fail(
            DATA_LOSS_DETECTION_ERROR,
            t("Undefined term"),
            t(
                "The property {name} is not defined by the document's contexts, so it would "
                "not be covered by the signature.",
                name=dropped[0],
            ),
        )
    return expanded


def _from_jsonld_error(exc: BaseException) -> ProblemError:
    cause: BaseException | None = exc
    while cause is not None:  # the loader's own refusal is the clearest message
        if isinstance(cause, ProblemError):
            return cause
        cause = cause.__cause__ or cause.__context__
    message = str(exc).split("\n", 1)[0][:300]
    return fail(
        MALFORMED_VALUE_ERROR,
        t("Invalid JSON-LD"),
        t("JSON-LD processing failed: {reason}", reason=message),
    )


def _is_iri_or_blank(value: object) -> bool:
    return isinstance(value, str) and (value.startswith("_:") or bool(_ABSOLUTE_IRI.match(value)))


def _is_language_tag(value: object) -> bool:
    return isinstance(value, str) and bool(_LANGUAGE_TAG.match(value))


def _check_expanded(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _check_expanded(item)
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        datatype = node.get("@type")
        if datatype is not None and datatype != "@json" and not _is_iri_or_blank(datatype):
            raise _relative(datatype)
        language = node.get("@language")
        if language is not None and not _is_language_tag(language):
            raise fail(
                DATA_LOSS_DETECTION_ERROR,
                t("Bad language tag"),
                t(
                    "{tag} is not a well-formed language tag (BCP 47); the text would be dropped.",
                    tag=str(language)[:40],
                ),
            )
        return
    if "@id" in node and not _is_iri_or_blank(node["@id"]):
        raise _relative(node["@id"])
    for type_ in node.get("@type", []):
        if not _is_iri_or_blank(type_):
            raise _relative(type_)
    for key, value in node.items():
        if key not in ("@id", "@type"):
            _check_expanded(value)


def _relative(value: object) -> ProblemError:
    shown = str(value)[:200]
    return fail(
        DATA_LOSS_DETECTION_ERROR,
        t("Relative or undefined IRI"),
        t(
            "The value {value} is not an absolute IRI: the term is undefined in the document's "
            "contexts, or the IRI is relative. It would not be signed as shown.",
            value=shown,
        ),
    )


def _count_compact_values(node: Any) -> int:
    if isinstance(node, dict):
        if "@value" in node:
            return _count_compact_values(node["@value"])
        return sum(_count_compact_values(v) for k, v in node.items() if k != "@context")
    if isinstance(node, list):
        return sum(_count_compact_values(v) for v in node)
    return 0 if node is None else 1


def _count_expanded_values(node: Any) -> int:
    if isinstance(node, list):
        return sum(_count_expanded_values(v) for v in node)
    if not isinstance(node, dict):
        return 1
    if "@value" in node:
        value = node["@value"]
        # A JSON literal (@type @json) keeps its structure; count what it holds.
        return _count_compact_values(value) if isinstance(value, dict | list) else 1
    count = 0
    for key, value in node.items():
        if key == "@id":
            count += 1
        elif key == "@type":
            count += len(value) if isinstance(value, list) else 1
        elif key not in ("@index", "@language", "@direction"):
            count += _count_expanded_values(value)
    return count


def strict_expand(document: Mapping[str, Any], loader: DocumentLoader | None = None) -> list[Any]:
    """Steps 1–3 at once: context, compacted form, strict (lossless) expansion."""
    check_context(document)
    check_compacted_form(document)
    return expand(document, loader)
