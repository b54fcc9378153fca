"""Chinese templates for the issuer (keys); keys are the English templates."""

ZH: dict[str, str] = {}
