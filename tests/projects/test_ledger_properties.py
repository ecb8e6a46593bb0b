"""Issue 8 section 1, property tests of the ledger import (docs/DOMAIN.md sections 9 and 12).

Hypothesis writes random sheets — valid rows with cells replaced by wrong types, huge, negative and
non-finite numbers, odd dates, formulas, very long strings, characters outside the BMP, control
characters and NUL, plus empty and duplicated rows — and the import must either take every row
exactly or refuse the file with row errors: never an exception, never a partial write.
"""

import datetime
import io
import math
import re
import zipfile
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from milestones.models import Node
from projects.ledger import HEADERS, import_ledger
from projects.models import Leader, Platform, Project, TransitionLog, Unit
from tests.projects.test_ledger import base_row

pytestmark = pytest.mark.django_db

EXAMPLES = 150
# openpyxl refuses to write control characters into a cell (XML 1.0 cannot carry them); such a
# value is written through this placeholder and put into the sheet's XML afterwards.
PLACEHOLDER = "\ue000{}\ue001"

numbers = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1e30", "-5", "0", "NaN", "Infinity", "-0.00001", "1,000", "20000.123456789", "1e-30"]),
)
dates = st.one_of(
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(9999, 12, 31)),
    st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "2026-13-01", "1989-12-31", "2101-01-01",
                     "昨天", "2026/6/1", "20260601"]),
)
texts = st.one_of(
    st.text(max_size=30),  # any code point hypothesis likes, control characters, NUL and non-BMP included
    st.text(alphabet=st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF), min_size=1, max_size=10),
    st.integers(min_value=30, max_value=5000).map(lambda n: "长" * n),
    st.sampled_from(["=1+1", "=SUM(A1:A3)", "=1/0", '=HYPERLINK("http://evil.example","x")', "@cmd", " ", "\t",
                     "A/B", "SZ 1", "A\nB", "A\x00B", "是", "否", "亿元", "万美元", "在谈", "已暂停", "已终止",
                     "高端装备", "外引", "EUR"]),
)
junk = st.one_of(st.none(), st.booleans(), numbers, dates, texts)


@st.composite
def sheets(draw):
    """Up to five rows; each a valid row (own code) with some cells replaced, or empty, or a copy."""
    rows = []
    for index in range(draw(st.integers(min_value=1, max_value=5))):
        kind = draw(st.sampled_from(["row", "row", "row", "empty", "copy"]))
        if kind == "empty":
            rows.append({})
        elif kind == "copy" and rows:
            rows.append(dict(draw(st.sampled_from(rows))))
        else:
            row = base_row(**{"项目编号": f"HP-{index}"})
            for header, value in draw(st.lists(st.tuples(st.sampled_from(HEADERS), junk), max_size=3)):
                row[header] = value
            rows.append(row)
    return rows


def write_sheet(rows) -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    hidden = []
    for row in rows:
        cells = []
        for header in HEADERS:
            value = row.get(header)
            try:
                openpyxl.cell.cell.Cell(sheet, value=value)
            except IllegalCharacterError:
                hidden.append(value)
                value = PLACEHOLDER.format(len(hidden) - 1)
            except (ValueError, TypeError, OverflowError):
                assume(False)  # not a value a spreadsheet can hold at all
            cells.append(value)
        sheet.append(cells)
    stream = io.BytesIO()
    workbook.save(stream)
    return _unhide(stream, hidden) if hidden else stream


def _unhide(stream, hidden):
    """Put the control characters openpyxl would not write into the sheet's XML, as a broken or
    hand-made file would carry them."""
    out = io.BytesIO()
    with zipfile.ZipFile(stream) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            for index, value in enumerate(hidden):
                data = data.replace(PLACEHOLDER.format(index).encode(), str(value).encode("utf-8", "surrogatepass"))
            target.writestr(item, data)
    out.seek(0)
    return out


def counts():
    return [model.objects.count() for model in (Project, Node, TransitionLog, Unit, Leader, Platform)]


def _text(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        # What the file holds: openpyxl writes a number with 16 significant digits (Excel keeps 15),
        # so 13510798882110942 comes back as 13510798882110940 before the import sees it.
        value = float(f"{value:.16g}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


@pytest.fixture
def frozen():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@given(rows=sheets())
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_random_sheet_is_imported_exactly_or_refused_whole(frozen, rows):
    stream = write_sheet(rows)
    with transaction.atomic():
        before = counts()
        result = import_ledger(path_or_file=stream, create_missing=True)
        event("imported" if result.ok else "refused")
        if result.ok:
            filled = [row for row in rows if row]
            assert sorted(result.created) == sorted({_text(row["项目编号"]) for row in filled})
            for row in filled:
                project = Project.objects.get(code=_text(row["项目编号"]))
                assert (project.name, project.investor) == (_text(row["项目名称"]), _text(row["投资方"]))
            assert counts()[0] == before[0] + len(result.created)
        else:
            assert counts() == before, result.errors
            assert all(re.match(r"^第\d+行 \S+: ", error) or error.startswith("无法读取文件") for error in result.errors), \
                result.errors
        transaction.set_rollback(True)
