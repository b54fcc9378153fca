"""Chinese templates for the issuer (policy); keys are the English templates."""

ZH: dict[str, str] = {
    # issuer/policy.py: findings
    "The programme has {value} courses; policy {policy} asks for {limit} courses.": (
        "该微专业共有 {value} 门课程；策略 {policy} 要求课程数为 {limit} 门。"
    ),
    "The programme has {value} credits in total; policy {policy} asks for {limit} credits.": (
        "该微专业总学分为 {value}；策略 {policy} 要求总学分为 {limit}。"
    ),
    "Course {course} has {value} credits; policy {policy} asks for {limit} credits per course.": (
        "课程 {course} 为 {value} 学分；策略 {policy} 要求每门课程 {limit} 学分。"
    ),
    "The programme counts {value} class hours per credit; policy {policy} counts {per_credit}.": (
        "该微专业按每学分 {value} 学时计算；策略 {policy} 规定每学分 {per_credit} 学时。"
    ),
    "Course {course} has {hours} class hours for {credits} credits; policy {policy} counts "
    "{per_credit} class hours per credit, so it should have {expected}.": (
        "课程 {course} 为 {credits} 学分、{hours} 学时；策略 {policy} 规定每学分 {per_credit} 学时，"
        "应为 {expected} 学时。"
    ),
    "The programme does not state a maximum study period; policy {policy} asks for {limit} months.": (
        "该微专业未注明最长学习期限；策略 {policy} 要求学习期限为 {limit} 个月。"
    ),
    "The programme's maximum study period is {value} months; policy {policy} asks for {limit} months.": (
        "该微专业最长学习期限为 {value} 个月；策略 {policy} 要求学习期限为 {limit} 个月。"
    ),
    "The cohort has {value} learners; policy {policy} asks for at least {minimum}.": (
        "该批次共有 {value} 名学员；策略 {policy} 要求至少 {minimum} 人开班。"
    ),
    # issuer/policy.py: ranges
    "{minimum}–{maximum}": "{minimum}–{maximum}",
    "at least {minimum}": "至少 {minimum}",
    "at most {maximum}": "不超过 {maximum}",
    "any number": "任意数量",
    # issuer/policy.py: kinds of value
    "nothing (null)": "空值（null）",
    "true/false": "是/否（true/false）",
    "a number": "数字",
    "text": "文本",
    "a mapping": "键值映射",
    "a list": "列表",
    "a date": "日期",
    "a value of another kind": "其他类型的值",
    # issuer/policy.py: reading configuration and files
    "The institution policy configuration has problems:": "学校策略配置存在以下问题：",
    "must be a mapping (key: value), not {kind}": "应为键值映射（键: 值），而不是{kind}",
    "unknown key {key}; did you mean {suggestion}?": "未知的键 {key}；是否应为 {suggestion}？",
    "unknown key {key}; allowed keys: {allowed}": "未知的键 {key}；可用的键：{allowed}",
    "is required": "为必填项",
    "must not be empty": "不能为空",
    "contains a character that is not valid Unicode (a lone surrogate)": "包含无效的 Unicode 字符（孤立的代理项）",
    "must be text, not a number; put it in quotes": "应为文本而不是数字，请加上引号",
    "must be text, not {kind}": "应为文本，而不是{kind}",
    "must be a number, not {kind}": "应为数字，而不是{kind}",
    "must be a finite number": "应为有限的数字",
    "must not be negative (it is {value})": "不能为负数（当前为 {value}）",
    "must be greater than 0": "必须大于 0",
    "must be a whole number": "应为整数",
    "must be a whole number, not {kind}": "应为整数，而不是{kind}",
    "must be at least {minimum} (it is {value})": "不能小于 {minimum}（当前为 {value}）",
    "must be true or false, not {kind}": "应为 true 或 false，而不是{kind}",
    "unknown value {value}; use one of: {choices}": "未知的取值 {value}；可选值：{choices}",
    "must be text or a mapping like {example}, not {kind}": "应为文本或形如 {example} 的映射，而不是{kind}",
    "must be error or warning, not {value}": "应为 error 或 warning，而不是 {value}",
    "a limit needs a minimum, a maximum or both (use null for no limit)": (
        "限制需要设置最小值、最大值或两者（不设限制请写 null）"
    ),
    "the minimum {minimum} is larger than the maximum {maximum}": "最小值 {minimum} 大于最大值 {maximum}",
    "... and {count} more problems": "……另有 {count} 个问题",
    "unknown preset {preset}; known presets: {known}": "未知的预设策略 {preset}；可用的预设：{known}",
    # issuer/programme_file.py: the file as a whole
    "The programme file {filename} has problems:": "微专业定义文件 {filename} 存在以下问题：",
    "Unsupported file type: name the file *.yaml, *.yml or *.json.": (
        "不支持的文件类型：文件名应以 .yaml、.yml 或 .json 结尾。"
    ),
    "The file is {size} bytes; at most {limit} are accepted.": "文件大小为 {size} 字节，最多接受 {limit} 字节。",
    "The file is not UTF-8 text (byte {offset}); save it as UTF-8.": (
        "文件不是 UTF-8 文本（第 {offset} 字节）；请以 UTF-8 编码保存。"
    ),
    "The file is empty.": "文件为空。",
    "The file is nested more than {limit} levels deep.": "文件嵌套超过 {limit} 层。",
    "This is not valid JSON (line {line}, column {column}): {reason}.": (
        "这不是有效的 JSON（第 {line} 行第 {column} 列）：{reason}。"
    ),
    "This is not valid JSON: {reason}.": "这不是有效的 JSON：{reason}。",
    "This is not valid YAML (line {line}, column {column}): {reason}.": (
        "这不是有效的 YAML（第 {line} 行第 {column} 列）：{reason}。"
    ),
    "This is not valid YAML: {reason}.": "这不是有效的 YAML：{reason}。",
    "YAML anchors and aliases (&name, *name) are not allowed (line {line}); write the value out in full.": (
        "不允许使用 YAML 锚点和别名（&名称、*名称）（第 {line} 行）；请完整写出该值。"
    ),
    "a key must be plain text (line {line})": "键必须是普通文本（第 {line} 行）",
    "key {key} appears more than once (line {line})": "键 {key} 重复出现（第 {line} 行）",
    "key {key} appears more than once": "键 {key} 出现了不止一次",
    # issuer/programme_file.py: programmes and courses
    "must be a list of programmes, not {kind}": "应为微专业列表，而不是{kind}",
    "must list at least one programme": "至少应包含一个微专业",
    "programme code {code} is used twice (first at {first})": "微专业代码 {code} 重复使用（首次出现在 {first}）",
    "code {code} may contain only letters, digits, '.', '_' and '-' (at most 64): it becomes part "
    "of the certificate's web address": (
        "代码 {code} 只能包含字母、数字、“.”、“_”和“-”（最多 64 个字符）：它会成为证书网址的一部分"
    ),
    "unknown industry field {field}; known fields: {known}": "未知的产业领域 {field}；可用的领域代码：{known}",
    "must be a list of courses, not {kind}": "应为课程列表，而不是{kind}",
    "must list at least one course": "至少应包含一门课程",
    "course code {code} is used twice (first at {first})": "课程代码 {code} 重复使用（首次出现在 {first}）",
    "is {total}, but the credits of the courses add up to {sum}": "为 {total}，但各门课程学分之和为 {sum}",
    "must be a list of {example} entries, not {kind}": "应为由 {example} 组成的列表，而不是{kind}",
    "unknown rule {rule}; known rules: {known}": "未知的规则 {rule}；可用的规则：{known}",
    "rule {rule} is acknowledged more than once": "规则 {rule} 被重复确认",
}
