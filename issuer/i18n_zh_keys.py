"""Chinese templates for the issuer (keys); keys are the English templates."""

ZH: dict[str, str] = {
    # issuer/keystore.py: passphrase
    "No key passphrase is configured: set MICROCRED_KEY_PASSPHRASE or MICROCRED_KEY_PASSPHRASE_FILE.": "未配置密钥口令：请设置 MICROCRED_KEY_PASSPHRASE 或 MICROCRED_KEY_PASSPHRASE_FILE。",
    "Both MICROCRED_KEY_PASSPHRASE and MICROCRED_KEY_PASSPHRASE_FILE are set; set only one of them.": "MICROCRED_KEY_PASSPHRASE 与 MICROCRED_KEY_PASSPHRASE_FILE 同时设置了，只能设置其中一个。",
    "The key passphrase is too short: use at least {minimum} characters.": "密钥口令太短：至少需要 {minimum} 个字符。",
    "The key passphrase is too long: use at most {maximum} characters.": "密钥口令太长：最多 {maximum} 个字符。",
    "Cannot read the key passphrase file {path}: {reason}.": "无法读取密钥口令文件 {path}：{reason}。",
    "The key passphrase file {path} is not UTF-8 text.": "密钥口令文件 {path} 不是 UTF-8 文本。",
    # issuer/keystore.py: key files
    "Cannot decrypt the key {fingerprint}: the passphrase is wrong or the key file {path} is damaged.": "无法解密密钥 {fingerprint}：口令错误，或密钥文件 {path} 已损坏。",
    "The key fingerprint is not an Ed25519 public key multibase (z6Mk…).": "密钥指纹不是 Ed25519 公钥的 multibase 编码（应以 z6Mk 开头）。",
    "There is no key {fingerprint} in the key store {directory}.": "密钥库 {directory} 中没有密钥 {fingerprint}。",
    "The key file {path} does not exist.": "密钥文件 {path} 不存在。",
    "Cannot read the key file {path}: {reason}.": "无法读取密钥文件 {path}：{reason}。",
    "The key file {path} is not a regular file.": "密钥文件 {path} 不是普通文件。",
    "The key file {path} can be accessed by other users (mode {mode}); it is not loaded. Run: chmod 600 {path}": "密钥文件 {path} 可被其他用户访问（权限 {mode}），已拒绝加载。请执行：chmod 600 {path}",
    "The key file {path} is not valid JSON: {reason}": "密钥文件 {path} 不是有效的 JSON：{reason}",
    "The key file {path} is not a JSON object.": "密钥文件 {path} 不是 JSON 对象。",
    "The file {path} is not a microcred encrypted key file.": "文件 {path} 不是 microcred 加密密钥文件。",
    "The key file {path} has format version {version}; this version of microcred reads version {supported}.": "密钥文件 {path} 的格式版本为 {version}，当前版本的 microcred 只能读取版本 {supported}。",
    "The key file {path} is damaged: {field} is missing or invalid.": "密钥文件 {path} 已损坏：{field} 缺失或无效。",
    "The key file {path} holds the key {fingerprint}; its name must be {expected}.": "密钥文件 {path} 中的密钥是 {fingerprint}，文件名应为 {expected}。",
    "The key {fingerprint} is already in the key store ({path}); it was not overwritten.": "密钥 {fingerprint} 已在密钥库中（{path}），未覆盖原文件。",
    "Cannot write the key file {path}: {reason}.": "无法写入密钥文件 {path}：{reason}。",
}
