"""Chinese templates for the issuer (records); keys are the English templates."""

ZH: dict[str, str] = {}
