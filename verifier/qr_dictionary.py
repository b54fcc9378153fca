"""The preset DEFLATE dictionary of QR format ``MC1`` (RFC 1951 §3.2.5 distances reach into it).

The text fields of a QR payload (names, URLs, codes) are compressed with raw DEFLATE primed
with this dictionary. It holds what those fields share across institutions: URL pieces of
DIDs and status lists, the status purposes, the credit system, and words that recur in
Chinese university, college and programme names. DEFLATE matches cost less the nearer they
are, so the most frequent pieces come last.

This is part of the format: changing one byte changes what every QR code decodes to, so a new
dictionary needs a new format version (``MC2``). ``docs/qr-format.md`` prints these entries
and the SHA-256 below, and a test checks that both agree with this module.
"""

from __future__ import annotations

import hashlib

#: The format version this dictionary belongs to.
DICTIONARY_VERSION = 1

# Two characters or more: in UTF-8 a Chinese character is three bytes, DEFLATE's shortest
# match, and a one-character match costs about as much as the literal.
_CHINESE_WORDS = (
    "马克思主义",
    "外国语",
    "新闻传播",
    "艺术设计",
    "音乐",
    "体育",
    "法学",
    "教育",
    "文学",
    "历史",
    "公共管理",
    "工商管理",
    "经济管理",
    "会计",
    "金融",
    "国际贸易",
    "电子商务",
    "市场营销",
    "数字经济",
    "现代物流",
    "旅游",
    "医学",
    "药学",
    "护理",
    "健康",
    "生命科学",
    "生物",
    "化学",
    "化工",
    "环境",
    "农业",
    "食品",
    "土木",
    "建筑",
    "交通运输",
    "航空航天",
    "低空经济",
    "海洋",
    "新能源",
    "电气",
    "机械",
    "自动化",
    "仪器",
    "通信",
    "网络空间安全",
    "软件",
    "集成电路",
    "电子信息",
    "计算机",
    "大数据",
    "数据科学",
    "云计算",
    "区块链",
    "物联网",
    "机器人",
    "人工智能",
    "新材料",
    "数学",
    "物理",
    "统计",
    "创新创业",
    "应用",
    "设计",
    "管理",
    "数字",
    "信息",
    "技术",
    "智能制造",
    "智能",
    "材料",
    "科学与技术",
    "科学与工程",
    "工程",
    "科学",
    "职业技术学院",
    "师范大学",
    "理工大学",
    "科技大学",
    "大学",
    "学院",
    "中国高校学分",
)

_URL_PIECES = (
    "urn:uuid:",
    "localhost",
    "127.0.0.1",
    "%3A",
    ".com.cn",
    ".org.cn",
    ".ac.cn",
    ".com",
    ".cn",
    "/microcred",
    "https://www.",
    "http://",
    "https://",
    ".edu.cn",
    "did:web:",
    "key-1",
    "suspension",
    "/status/suspension/1",
    "revocation",
    "/status/revocation/1",
)

DICTIONARY: bytes = "".join(_CHINESE_WORDS + _URL_PIECES).encode("utf-8")
DICTIONARY_SHA256: str = hashlib.sha256(DICTIONARY).hexdigest()

#: The entries, in order (the dictionary is their UTF-8 concatenation, nothing in between).
ENTRIES: tuple[str, ...] = _CHINESE_WORDS + _URL_PIECES
