"""Chinese templates for the issuer (service); keys are the English templates."""

ZH: dict[str, str] = {}
