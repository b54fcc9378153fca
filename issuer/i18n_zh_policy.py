"""Chinese templates for the issuer (policy); keys are the English templates."""

ZH: dict[str, str] = {}
