"""What the report commands share: --as-of/--format/--output parsing and writing the result."""

from json import dumps
import sys

from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder

# One --as-of parser for every command (default: today in Asia/Shanghai, DOMAIN.md section 4).
from milestones.management.commands._common import parse_as_of  # noqa: F401


def add_output_arguments(parser):
    parser.add_argument("--as-of", dest="as_of", help="统计截止日期 YYYY-MM-DD（默认：今天，北京时间）")
    parser.add_argument("--format", dest="fmt", choices=["json", "pdf", "xlsx"], default="json",
                        help="输出格式（默认 json）")
    parser.add_argument("--output", help="输出文件；不指定时写到标准输出")


def write_result(command, *, fmt: str, output: str | None, arguments: dict, json, pdf, xlsx):
    """Call the selector (json) or renderer (pdf, xlsx) for `fmt` with `arguments` and write the
    result — JSON text with Chinese as is, or the file's bytes — to --output or to stdout."""
    if fmt == "json":
        text = dumps(json(**arguments), ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
        if not output:
            command.stdout.write(text)
            return
        content = (text + "\n").encode()
    else:
        if not output and sys.stdout.isatty():
            raise CommandError(f"{fmt.upper()} 是二进制文件，请用 --output 指定文件名，或重定向标准输出")
        content = {"pdf": pdf, "xlsx": xlsx}[fmt](**arguments)
    if output:
        # Written whole at the end: a failed render leaves no half-written file.
        with open(output, "wb") as handle:
            handle.write(content)
        command.stderr.write(f"已写入 {output}（{len(content):,} 字节）")
    else:
        command.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
