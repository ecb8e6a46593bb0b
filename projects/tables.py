"""Reading a spreadsheet the way county offices save it: .xlsx, old .xls (WPS, Excel 97–2003) and
.csv (UTF-8 with or without BOM, or GBK/GB18030), as sheets of rows of plain values.

What the file is comes from its first bytes, not its name: an upload's name says little (a CSV
renamed .xls, an .xlsx without extension). Readers never raise library errors at the caller: a file
that cannot be read is a `TableError` with a Chinese message, and the library's text goes to the log.
"""

import codecs
import csv
import datetime
import functools
import io
import logging
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field

import openpyxl
import xlrd
from openpyxl.utils import get_column_letter

from . import sheet_reader

logger = logging.getLogger(__name__)

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound document
MAX_BYTES = 50 * 1024 * 1024
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class TableError(Exception):
    """The file cannot be read at all; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class Marked:
    """A cell value whose number format carries a marker text (e.g. a date shown as
    `2026-09-01（推算）`): the value, and the marker found in its format."""

    value: object
    marker: str


@dataclass
class Sheet:
    name: str
    hidden_columns: set = field(default_factory=set)  # 0-based column indexes
    hidden: bool = False
    max_row: int | None = None
    _rows: object = None  # a callable returning a fresh iterator of row tuples

    def rows(self):
        """Every row from the first, as tuples of values (None for an empty cell)."""
        return self._rows()


@dataclass
class Table:
    kind: str  # "xlsx", "xls" or "csv"
    sheets: list
    encoding: str = ""  # csv only
    close: object = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.close is not None:
            self.close()


def column_letter(index):
    """The spreadsheet's name of a 0-based column: 0 → A."""
    return get_column_letter(index + 1)


def open_table(path_or_file, *, markers=(), reader_process=False) -> Table:
    """Open a path or a file object (an upload) as a `Table`. `markers`: texts to look for in date
    cells' number formats; such a cell's value comes back as `Marked(value, marker)`.
    `reader_process`: a large .xlsx is read by a child process (projects.sheet_reader), for a
    caller that works on each row as it comes, on the machine's other core."""
    data = _read_bytes(path_or_file)
    if data.startswith(XLSX_MAGIC):
        if reader_process:
            reader = sheet_reader.start(data, markers)
            if reader is not None:
                table = _open_xlsx_elsewhere(reader)
                if table is not None:
                    return table
        return _open_xlsx(data, markers)
    if data.startswith(XLS_MAGIC):
        return _open_xls(data, markers)
    return _open_csv(data)


def _read_bytes(path_or_file) -> bytes:
    try:
        if hasattr(path_or_file, "read"):
            if hasattr(path_or_file, "seek"):
                path_or_file.seek(0)
            data = path_or_file.read(MAX_BYTES + 1)
        else:
            with open(path_or_file, "rb") as handle:
                data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        logger.warning("table: cannot read file: %s", exc)
        raise TableError("无法读取文件：文件不存在或无权读取") from None
    if len(data) > MAX_BYTES:
        raise TableError(f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请拆分后导入")
    if not data:
        raise TableError("文件是空的")
    return data


# --- .xlsx --------------------------------------------------------------------------------------


def load_xlsx(file):
    return openpyxl.load_workbook(file, read_only=True, data_only=True)


def xlsx_worksheets(workbook):
    """The sheets that have cells (a chart sheet has none), in the workbook's order."""
    return [worksheet for worksheet in workbook.worksheets if hasattr(worksheet, "iter_rows")]


def _open_xlsx(data, markers):
    try:
        workbook = load_xlsx(io.BytesIO(data))
    except Exception as exc:  # openpyxl raises many types (zip, XML, KeyError) for a damaged file
        logger.warning("table: cannot open xlsx: %s", exc)
        raise TableError("无法读取文件：不是有效的 .xlsx 文件（文件可能已损坏，或另存为时选错了格式）") from None
    sheets = []
    for worksheet in xlsx_worksheets(workbook):
        sheets.append(Sheet(
            name=worksheet.title,
            hidden_columns=_xlsx_hidden_columns(worksheet),
            hidden=worksheet.sheet_state != "visible",
            max_row=worksheet.max_row,
            _rows=lambda ws=worksheet: _xlsx_rows(ws, markers),
        ))
    return Table(kind="xlsx", sheets=sheets, close=workbook.close)


def _open_xlsx_elsewhere(reader):
    """The table of a workbook the child process `reader` reads: each sheet's first rows as it sent
    them, the rest streamed from it when a caller reads on. None when the child could not open it:
    the caller opens it in-process, which tells a damaged file from a child that failed to run."""
    try:
        found = reader.sheets()
    except sheet_reader.SheetReaderError as exc:
        reader.close()
        logger.warning("table: the sheet reader process could not open the workbook, opening it here: %s", exc)
        return None
    sheets = [Sheet(name=sheet["name"], hidden_columns=sheet["hidden_columns"], hidden=sheet["hidden"],
                    max_row=sheet["max_row"], _rows=functools.partial(_streamed_rows, reader, index, sheet["head"]))
              for index, sheet in enumerate(found)]
    return Table(kind="xlsx", sheets=sheets, close=reader.close)


def _streamed_rows(reader, index, head):
    yield from head
    if len(head) == reader.head_rows:  # there may be more
        yield from reader.rows(index, len(head) + 1)


def _xlsx_rows(worksheet, markers):
    for cells in worksheet.iter_rows():
        values = []
        for cell in cells:
            value = cell.value
            if markers and isinstance(value, datetime.datetime):
                value = _marked(value, cell.number_format or "", markers)
            values.append(value)
        yield tuple(values)


def _marked(value, number_format, markers):
    for marker in markers:
        if marker in number_format:
            return Marked(value, marker)
    return value


def _xlsx_hidden_columns(worksheet):
    """openpyxl's read-only sheets skip column settings; read the sheet's <cols> element, which
    comes before its data, and stop there."""
    hidden = set()
    try:
        source = worksheet._get_source()
    except (AttributeError, KeyError):
        return hidden
    try:
        for _event, element in ElementTree.iterparse(source, events=("start",)):
            if element.tag == f"{_SHEET_NS}sheetData":
                break
            if element.tag == f"{_SHEET_NS}col" and element.get("hidden") in ("1", "true"):
                first, last = int(element.get("min", "1")), int(element.get("max", "1"))
                hidden.update(range(first - 1, min(last, 16384)))
    except ElementTree.ParseError as exc:
        logger.info("table: cannot read column settings: %s", exc)
    finally:
        source.close()
    return hidden


# --- .xls ---------------------------------------------------------------------------------------


def _open_xls(data, markers):
    book = None
    # Formatting (hidden columns, number formats) is read when xlrd can; a file whose formatting
    # records it cannot parse is still read for its values.
    for formatting_info in (True, False):
        try:
            book = xlrd.open_workbook(file_contents=data, formatting_info=formatting_info, on_demand=True)
            break
        except Exception as exc:  # xlrd raises XLRDError, struct.error, CompDocError … for a bad file
            logger.warning("table: cannot open xls (formatting_info=%s): %s", formatting_info, exc)
    if book is None:
        raise TableError("无法读取文件：不是有效的 .xls 文件（文件可能已损坏或加了密码）")
    sheets = []
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        sheets.append(Sheet(
            name=sheet.name,
            hidden_columns={col for col, info in sheet.colinfo_map.items() if info.hidden},
            hidden=bool(sheet.visibility),
            max_row=sheet.nrows,
            _rows=lambda sheet=sheet: _xls_rows(book, sheet, markers),
        ))
    return Table(kind="xls", sheets=sheets, close=book.release_resources)


def _xls_rows(book, sheet, markers):
    for r in range(sheet.nrows):
        yield tuple(_xls_value(book, sheet, r, c, markers) for c in range(sheet.ncols))


def _xls_value(book, sheet, r, c, markers):
    kind = sheet.cell_type(r, c)
    value = sheet.cell_value(r, c)
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_DATE:
        try:
            day = xlrd.xldate_as_datetime(value, book.datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return value
        if markers and book.formatting_info:
            xf = book.xf_list[sheet.cell_xf_index(r, c)]
            number_format = book.format_map.get(xf.format_key)
            return _marked(day, number_format.format_str if number_format else "", markers)
        return day
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#错误")
    return value


# --- .csv ---------------------------------------------------------------------------------------

# Tried in order: UTF-8 (a BOM, if any, is dropped), then GB18030, which reads GBK and GB2312 too.
# A GBK file is almost never valid UTF-8, so the first decoder that accepts the bytes is right.
CSV_ENCODINGS = (("utf-8-sig", "UTF-8"), ("gb18030", "GBK/GB18030"))


def _open_csv(data):
    text = encoding = None
    for codec, label in CSV_ENCODINGS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        encoding = label if not (codec == "utf-8-sig" and data.startswith(codecs.BOM_UTF8)) else "UTF-8（带 BOM）"
        break
    if text is None or "\x00" in text:
        raise TableError("无法读取文件：不是 .xlsx、.xls 或 .csv 文件（CSV 须为 UTF-8 或 GBK 编码）")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = [tuple(value if value.strip() else None for value in row)
                for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        logger.warning("table: cannot parse csv: %s", exc)
        raise TableError("无法读取文件：CSV 格式有误（引号不成对？）") from None
    sheet = Sheet(name="", max_row=len(rows), _rows=lambda: iter(rows))
    return Table(kind="csv", sheets=[sheet], encoding=encoding)
