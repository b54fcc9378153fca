"""Type aliases shared by the verifier modules."""

from typing import Any, TypeAlias

#: A parsed JSON object (a credential, a proof, a DID document...).
JsonObject: TypeAlias = dict[str, Any]
