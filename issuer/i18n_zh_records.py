"""Chinese templates for the issuer (records); keys are the English templates."""

ZH: dict[str, str] = {
    # where a problem is
    "Line {line}: {message}": "第 {line} 行：{message}",
    # the whole file
    "The file is empty.": "文件为空。",
    "The file is {size} MiB; at most {limit} MiB can be imported at once. Split it into smaller files.": "文件大小为 {size} MiB，一次最多只能导入 {limit} MiB。请拆分成几个较小的文件。",
    "Files of type “{extension}” cannot be imported. Use an Excel workbook (.xlsx) or a CSV file (.csv, .txt).": "无法导入“{extension}”类型的文件。请使用 Excel 工作簿（.xlsx）或 CSV 文件（.csv、.txt）。",
    "This is an old-format Excel file (.xls), which cannot be read. Open it in Excel or WPS, save it as .xlsx (Excel workbook) or CSV UTF-8, and import that file.": "这是旧版 Excel 文件（.xls），无法读取。请用 Excel 或 WPS 打开，另存为 .xlsx（Excel 工作簿）或“CSV UTF-8”格式后，再导入新文件。",
    "This Excel file is password-protected, or is an old .xls file renamed to .xlsx. Remove the password or open it in Excel or WPS and save it as .xlsx (Excel workbook) or CSV UTF-8, then import that file.": "该 Excel 文件设置了打开密码，或是旧版 .xls 文件被改成了 .xlsx 扩展名。请取消密码，或用 Excel 或 WPS 打开后另存为 .xlsx（Excel 工作簿）或“CSV UTF-8”格式，再导入新文件。",
    "The file could not be opened as an Excel workbook (.xlsx): it may be damaged, or another kind of file renamed to .xlsx. Open it in Excel or WPS and save it again as .xlsx or CSV.": "无法作为 Excel 工作簿（.xlsx）打开该文件：文件可能已损坏，或是其他类型的文件被改成了 .xlsx 扩展名。请用 Excel 或 WPS 打开后重新另存为 .xlsx 或 CSV 文件。",
    "The workbook unpacks to {size} MiB, more than the {limit} MiB that can be read. Delete unused sheets, pictures and formatting, or save it as CSV.": "该工作簿解压后有 {size} MiB，超过了可读取的上限 {limit} MiB。请删除用不到的工作表、图片和格式，或另存为 CSV 文件。",
    "The workbook has no worksheet.": "该工作簿中没有工作表。",
    "The file contains NUL bytes, so it is not a plain text (CSV) file. If it is a spreadsheet, save it from Excel or WPS as .xlsx or as CSV UTF-8.": "文件中含有空字符（NUL），不是纯文本（CSV）文件。如果这是电子表格，请用 Excel 或 WPS 另存为 .xlsx 或“CSV UTF-8”格式。",
    "The file is not readable {encodings} text: the byte at offset {offset} (line {line}) is not valid. Save the file from Excel or WPS as CSV UTF-8 and import it again.": "无法按 {encodings} 编码读取该文件：偏移量 {offset} 处（第 {line} 行）的字节无效。请用 Excel 或 WPS 将文件另存为“CSV UTF-8”格式后重新导入。",
    'A cell in this line is longer than {limit} characters, which usually means a quotation mark (") is not closed.': '本行有单元格超过 {limit} 个字符，通常是某个引号（"）没有闭合。',
    "No header row was found in the first {rows} rows: the file needs the columns {required}. Line {line} has: {found}.": "前 {rows} 行中没有找到表头：文件需要包含 {required} 这几列。第 {line} 行的内容为：{found}。",
    "The header row (line {line}) lacks the required columns {missing}. Columns found: {found}.": "表头（第 {line} 行）缺少必需的列：{missing}。已找到的列：{found}。",
    "The columns “{first}” and “{second}” both look like {field}; rename or remove one of them.": "“{first}”列和“{second}”列都会被识别为{field}，请重命名或删除其中一列。",
    "There are no records below the header row (line {line}).": "表头（第 {line} 行）下方没有任何成绩记录。",
    "The file has more than {limit} rows of records; split it into smaller files and import them one by one.": "文件中的记录超过 {limit} 行，请拆分成几个较小的文件后逐个导入。",
    "{count} more problems were found but are not listed; fix the ones above and import the file again.": "另有 {count} 个问题未列出。请先修正以上问题，再重新导入文件。",
    # one row
    "“{column}” is empty.": "“{column}”未填写。",
    '“{column}” contains a line break; check for an unclosed quotation mark (") in or just above this line.': '“{column}”中含有换行符，请检查本行或上一行是否有未闭合的引号（"）。',
    "The student number {value} is stored as a number, and Excel keeps only 15 digits of a number. Format the column as text and enter the student numbers again.": "学号 {value} 是以数字形式保存的，而 Excel 的数字只保留 15 位有效数字。请将该列设置为“文本”格式后重新录入学号。",
    "The student number “{value}” was shortened by Excel to scientific notation, so digits are lost. Format the column as text in Excel and export the file again.": "学号“{value}”被 Excel 转成了科学计数法，部分数字已经丢失。请在 Excel 中将该列设置为“文本”格式后重新导出文件。",
    "The grade “{grade}” in “{column}” could not be read: {reason}": "“{column}”列中的成绩“{grade}”无法识别：{reason}",
    "no grade is given.": "未填写成绩。",
    "{value} is outside the 0-100 scale.": "{value} 超出了 0-100 分的范围。",
    "write a score from 0 to 100, a letter grade (A-D, F) or a word such as 合格/不合格, pass/fail or 缺考.": "请填写 0-100 的分数、等级（A-D、F），或“合格/不合格”“通过/不通过”“缺考”等文字。",
    "The date “{value}” in “{column}” could not be read; write it like 2025-06-30.": "无法识别“{column}”列中的日期“{value}”，请按 2025-06-30 的格式填写。",
    "“{value}” in “{column}” is not a real date.": "“{column}”列中的“{value}”不是有效的日期。",
    "The completion date {completed} is before the enrolment date {enrolled}.": "完成日期 {completed} 早于入学日期 {enrolled}。",
    "Student {student} has course {course} twice: lines {first} and {second}.": "学号 {student} 的课程 {course} 出现了两次：第 {first} 行和第 {second} 行。",
    "Student number {student} has two different names: “{first_name}” (line {first}) and “{second_name}” (line {second}).": "学号 {student} 对应两个不同的姓名：“{first_name}”（第 {first} 行）和“{second_name}”（第 {second} 行）。",
}
