"""Chinese templates for the printed certificate (PDF rendering, fonts); keys are the English templates."""

ZH: dict[str, str] = {
    # the credential read for printing (issuer/certificate.py)
    "The credential is not a JSON object.": "凭证不是 JSON 对象。",
    "The credential is not valid JSON: {reason}": "凭证不是有效的 JSON：{reason}",
    "The credential is not signed (it has no proof); only signed credentials are printed.": "凭证未经签名（没有 proof），只有已签名的凭证才能打印成证书。",
    "The credential has no {path}, which every certificate must print.": "凭证缺少 {path}，而每份证书都必须印有这一项。",
    "The credential has no result for the course {course}.": "凭证中没有课程 {course} 的成绩。",
    "{path} is not a number: {value}.": "{path} 不是数字：{value}。",
    "{path} is not a date and time: {value}.": "{path} 不是日期时间：{value}。",
    # rendering (issuer/pdf.py)
    "No installed font can print these characters, so the certificate is not rendered: {list}.": "已安装的字体都无法显示以下字符，因此未生成证书：{list}。",
    "The QR code text is empty.": "二维码内容为空。",
    "The QR code text ({length} characters) is too long for a QR code.": "二维码内容（{length} 个字符）过长，无法生成二维码。",
    "Images must be PNG, JPEG or SVG, not {type}.": "图片须为 PNG、JPEG 或 SVG 格式，不能是 {type}。",
    "An image must hold 1 byte to {limit} MiB.": "图片大小须在 1 字节到 {limit} MiB 之间。",
    "The image is not a {type} file.": "该图片不是 {type} 文件。",
    "The certificate language must be bilingual or zh, not {value}.": "证书语言只能是 bilingual（中英双语）或 zh（仅中文），不能是 {value}。",
    "The accent colour must look like #9b1c1c, not {value}.": "主题色须为 #9b1c1c 这样的格式，不能是 {value}。",
    # rendering a cohort (issuer/batch_render.py)
    "The stored summary credential is damaged: {reason}": "存储的摘要凭证已损坏：{reason}",
    # fonts (issuer/fonts.py)
    "The font {family} (weight {weight}) is not installed, so Chinese cannot be printed. Install the {package} package (apt-get install {package}) or run scripts/setup.": "未安装字体 {family}（字重 {weight}），无法打印中文。请安装 {package} 软件包（apt-get install {package}），或运行 scripts/setup。",
}
