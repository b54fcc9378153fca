"""Chinese (Simplified) translations of what :mod:`verifier.qr` says about QR codes.

Merged into :data:`verifier.i18n_zh.ZH`; keys are the English templates, values keep the same
``{placeholders}``.
"""

ZH: dict[str, str] = {
    "This is not a microcred certificate QR code.": "这不是 microcred 证书二维码。",
    "This QR code uses format MC{version}, which this verifier does not support.": "该二维码使用 MC{version} 格式，本验证程序尚不支持。",
    "The QR code text is too long ({length} characters).": "二维码内容过长（{length} 个字符）。",
    "The QR code is damaged or was scanned incompletely: {reason}": "二维码已损坏或未完整扫描：{reason}",
    "the payload must be digits only.": "数据部分只能包含数字。",
    "the payload has an impossible length.": "数据长度不可能出现。",
    "the payload ends too early.": "数据提前结束。",
    "unknown flags are set.": "设置了未知的标志位。",
    "the compressed data is corrupt.": "压缩数据已损坏。",
    "the compressed data expands beyond {limit} bytes.": "压缩数据解压后超过 {limit} 字节。",
    "a text field is too long.": "某个文本字段过长。",
    "a text field is not valid UTF-8.": "某个文本字段不是有效的 UTF-8。",
    "a number is not in canonical form.": "某个数字不是规范形式。",
    "a date is out of range.": "某个日期超出范围。",
    "a field has a value the format does not define.": "某个字段的值未在格式中定义。",
    "it lists too many status entries.": "状态条目过多。",
    "there is data after the last field.": "最后一个字段之后还有多余数据。",
    "The QR code cannot carry this summary credential: {reason}": "二维码无法承载该摘要凭证：{reason}",
    "it does not decode back to the same credential.": "解码后无法还原为同一凭证。",
    "the payload is too long.": "数据过长。",
    "The verifier URL {url} must be an absolute http(s) URL without a fragment.": "验证网址 {url} 必须是不带片段（#）的绝对 http(s) 网址。",
    "The QR code's summary does not name the credential it belongs to.": "二维码中的摘要凭证未指明其所属的证书凭证。",
    "The QR code belongs to credential {expected}, but this credential is {actual}.": "该二维码属于凭证 {expected}，而此凭证是 {actual}。",
    "The QR code's summary gives the credential's digest in a form this verifier does not know.": "二维码中的摘要凭证以本验证程序不认识的形式给出证书凭证的摘要值。",
    "This credential differs from the one its QR code was issued for: the digests do not match.": "此凭证与其二维码签发时所对应的凭证不同：摘要值不一致。",
    "The credential cannot be serialized for its digest: {reason}": "无法为计算摘要值而序列化该凭证：{reason}",
}
