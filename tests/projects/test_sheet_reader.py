"""Issue 12: a large .xlsx is read by a child process (projects.sheet_reader) while the importer
works on the rows already read. The child must give exactly what reading in-process gives, fail as
a damaged file fails, and leave no process, zombie or pipe behind."""

import datetime
import io
import multiprocessing
import os
import re
import signal
import subprocess
import zipfile

import openpyxl
import pytest

from projects import sheet_reader, tables
from projects.ledger import DERIVED_MARK, import_ledger
from projects.models import Project
from tests.projects.test_ledger import (
    _today_is_25_november_2026,  # noqa: F401 (autouse: the ledger tests' day)
    base_row,
    nothing_written,
    write_ledger,
)

D = datetime.date


@pytest.fixture
def always_in_a_child(monkeypatch):
    """Every .xlsx, however small, read by a child; short heads, so that rows are streamed."""
    monkeypatch.setattr(sheet_reader, "MIN_BYTES", 0)
    monkeypatch.setattr(sheet_reader, "HEAD_ROWS", 3)
    monkeypatch.setattr(sheet_reader, "CHUNK_ROWS", 4)


@pytest.fixture
def readers(monkeypatch):
    """The readers started, to check what became of their processes."""
    started = []
    make = sheet_reader.SheetReader

    def recording(*args, **kwargs):
        reader = make(*args, **kwargs)
        started.append(reader)
        return reader

    monkeypatch.setattr(sheet_reader, "SheetReader", recording)
    return started


def workbook_bytes():
    """Three sheets: a hidden note sheet, the data with a hidden column and 推算 dates, an empty one."""
    workbook = openpyxl.Workbook()
    note = workbook.active
    note.title = "说明"
    note.sheet_state = "hidden"
    note.append(["本表由系统导出"])
    data = workbook.create_sheet("台账")
    data.append(["项目编号", "计划开工日期", "总投资", "备注"])
    for index in range(20):
        data.append([f"R{index:03d}", datetime.datetime(2026, 1, 1 + index), index * 1.5 if index % 3 else None,
                     "第二行\n文字" if index == 7 else None])
        data.cell(row=data.max_row, column=2).number_format = f'yyyy-mm-dd"（{DERIVED_MARK}）"' if index % 2 else "yyyy-mm-dd"
    data.column_dimensions["D"].hidden = True
    workbook.create_sheet("空表")
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def read_all(table):
    return [(s.name, s.hidden, s.hidden_columns, s.max_row, list(s.rows())) for s in table.sheets]


def test_the_child_reads_what_reading_in_process_reads(always_in_a_child, readers):
    data = workbook_bytes()
    with tables.open_table(io.BytesIO(data), markers=(DERIVED_MARK,)) as here:
        expected = read_all(here)
    with tables.open_table(io.BytesIO(data), markers=(DERIVED_MARK,), reader_process=True) as elsewhere:
        got = read_all(elsewhere)
    assert len(readers) == 1
    assert got == expected
    assert expected[1][2] == {3} and expected[0][1] is True
    assert expected[1][4][2][1] == tables.Marked(datetime.datetime(2026, 1, 2), DERIVED_MARK)


def test_rows_left_unread_do_not_reach_the_next_reader_of_a_sheet(always_in_a_child):
    with tables.open_table(io.BytesIO(workbook_bytes()), reader_process=True) as table:
        notes, data = table.sheets[0], table.sheets[1]
        first = next(iter(data.rows()))
        partly = data.rows()
        assert [next(partly) for _ in range(6)][-1][0] == "R004"  # into the streamed rows, then left
        assert list(notes.rows()) == [("本表由系统导出",)]
        again = list(data.rows())
    assert again[0] == first and len(again) == 21 and again[-1][0] == "R019"


def test_a_small_workbook_is_read_in_process(readers):
    with tables.open_table(io.BytesIO(workbook_bytes()), reader_process=True) as table:
        assert len(list(table.sheets[1].rows())) == 21
    assert readers == []


def test_without_a_process_the_workbook_is_read_in_process(always_in_a_child, monkeypatch, caplog):
    def refused(*args, **kwargs):
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(subprocess, "Popen", refused)
    with tables.open_table(io.BytesIO(workbook_bytes()), reader_process=True) as table:
        assert len(list(table.sheets[1].rows())) == 21
    assert "reading in-process" in caplog.text


def test_a_child_that_cannot_run_leaves_the_reading_to_this_process(always_in_a_child, monkeypatch, caplog):
    monkeypatch.setattr(sheet_reader, "_COMMAND", [sheet_reader._COMMAND[0], "-c", "import sys; sys.exit(3)"])
    with tables.open_table(io.BytesIO(workbook_bytes()), reader_process=True) as table:
        assert len(list(table.sheets[1].rows())) == 21
    assert "exit code 3" in caplog.text


def test_a_damaged_workbook_is_refused_as_when_read_here(always_in_a_child):
    with pytest.raises(tables.TableError, match="不是有效的 .xlsx 文件"):
        tables.open_table(io.BytesIO(b"PK\x03\x04" + b"\x00" * (1024 * 1024)), reader_process=True)


def test_the_child_is_reaped_and_its_pipes_closed_with_the_table(always_in_a_child, readers):
    with tables.open_table(io.BytesIO(workbook_bytes()), reader_process=True) as table:
        next(iter(table.sheets[1].rows()))
        process = readers[0]._process
        assert process.poll() is None
    assert process.returncode is not None  # killed and waited for: no zombie
    assert process.stdin.closed and process.stdout.closed


@pytest.mark.skipif(not hasattr(__import__("fcntl"), "F_GETPIPE_SZ"), reason="Linux's pipe sizes")
def test_the_pipe_from_the_child_holds_parts_of_rows(always_in_a_child, readers):
    import fcntl

    with tables.open_table(io.BytesIO(workbook_bytes()), reader_process=True):
        size = fcntl.fcntl(readers[0]._process.stdout.fileno(), fcntl.F_GETPIPE_SZ)
    assert size >= sheet_reader.PIPE_BYTES


def test_the_child_finds_this_code_from_any_directory(always_in_a_child, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    with tables.open_table(io.BytesIO(workbook_bytes()), reader_process=True) as table:
        assert len(list(table.sheets[1].rows())) == 21


def _read_in_a_daemon(data, queue):
    sheet_reader.MIN_BYTES = 0
    with tables.open_table(io.BytesIO(data), reader_process=True) as table:
        queue.put(len(list(table.sheets[1].rows())))


def test_a_daemonic_process_such_as_a_celery_worker_may_start_the_child():
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    daemon = context.Process(target=_read_in_a_daemon, args=(workbook_bytes(), queue), daemon=True)
    daemon.start()
    daemon.join(60)
    assert daemon.exitcode == 0 and queue.get(timeout=5) == 21


def damaged(data, *, after_row):
    """`data` with its data sheet's XML broken after row `after_row`: the workbook opens, and the
    sheet fails while its rows are read."""
    source, target = io.BytesIO(data), io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            content = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rf'(<row r="{after_row + 1}")'.encode(), b"<row <<broken", content, count=1)
            new.writestr(item, content)
    return target.getvalue()


def ledger_bytes(tmp_path, rows):
    return write_ledger(tmp_path / "ledger.xlsx", rows).read_bytes()


@pytest.mark.django_db
def test_a_sheet_that_breaks_while_the_child_reads_it_is_refused_whole(always_in_a_child, readers, tmp_path,
                                                                       monkeypatch):
    from projects import ledger

    monkeypatch.setattr(ledger, "PART_ROWS", 2)  # parts are written before the break is reached
    rows = [base_row(项目编号=f"K{index:03d}") for index in range(12)]
    result = import_ledger(path_or_file=io.BytesIO(damaged(ledger_bytes(tmp_path, rows), after_row=9)))
    assert len(result.errors) == 1
    assert result.errors[0].startswith("无法读取文件（文件已损坏或含有不允许的字符，请另存为 .xlsx 后重试）")
    assert result.errors == ["无法读取文件（文件已损坏或含有不允许的字符，请另存为 .xlsx 后重试）"]
    assert not result.created and nothing_written()
    assert readers[0]._process.returncode is not None


@pytest.mark.django_db
def test_a_child_killed_while_it_reads_fails_the_import_and_writes_nothing(always_in_a_child, readers, tmp_path,
                                                                          monkeypatch):
    from projects import ledger

    make_parts = ledger._parts

    def killing_after_the_first_part(records, size):
        for number, part in enumerate(make_parts(records, size)):
            if number == 1:
                os.kill(readers[0]._process.pid, signal.SIGKILL)
                readers[0]._process.wait()
            yield part

    monkeypatch.setattr(ledger, "PART_ROWS", 100)
    monkeypatch.setattr(ledger, "_parts", killing_after_the_first_part)
    # More rows than the pipe holds: the child is still sending when it is killed.
    rows = [base_row(项目编号=f"K{index:04d}") for index in range(1500)]
    result = import_ledger(path_or_file=io.BytesIO(ledger_bytes(tmp_path, rows)))
    assert len(result.errors) == 1 and "无法读取文件" in result.errors[0]
    # Not the file's doing, and said in Chinese alone (the library's text goes to the log).
    assert result.errors == ["无法读取文件：读取文件的进程意外中止（不是文件的问题），未写入任何数据，请重新导入"]
    assert nothing_written()


@pytest.mark.django_db
def test_a_ledger_read_by_the_child_is_imported_with_its_total_row_skipped(always_in_a_child, readers, tmp_path):
    rows = [base_row(项目编号=f"K{index:03d}", 实际供地日期="2026-05-01" if index % 2 else None,
                     计划开工日期="2026-12-01" if index % 3 else None) for index in range(15)]
    rows.append({"项目编号": None, "项目名称": "合计"})
    result = import_ledger(path_or_file=io.BytesIO(ledger_bytes(tmp_path, rows)))
    assert result.ok, result.errors
    assert len(readers) == 1
    assert result.created == [f"K{index:03d}" for index in range(15)]
    assert result.notes == ["第17行为合计行，已跳过"]
    assert Project.objects.filter(status="land_acquired").count() == 7


def test_what_the_child_may_send_is_cell_values_and_nothing_else():
    import pickle

    values = ("rows", [(tables.Marked(datetime.datetime(2026, 1, 2), DERIVED_MARK), datetime.date(2026, 1, 1),
                        datetime.time(8, 30), datetime.timedelta(days=2), 1.5, 10 ** 30, "文字", None, True)])
    assert sheet_reader._Unpickler(io.BytesIO(pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL))).load() == values
    with pytest.raises(pickle.UnpicklingError, match="sent a posix.system"):
        sheet_reader._Unpickler(io.BytesIO(pickle.dumps(("rows", [(os.system,)])))).load()


def test_what_a_library_prints_in_the_child_does_not_reach_the_rows(always_in_a_child, monkeypatch):
    """The child's stdout (Python's and the C library's) is its stderr: only the answers use the pipe."""
    monkeypatch.setattr(sheet_reader, "_COMMAND", [
        sheet_reader._COMMAND[0], "-P", "-c",
        "import os, projects.tables as t; load = t.load_xlsx\n"
        "def noisy(f):\n    print('python says hello'); os.write(1, b'C says hello'); return load(f)\n"
        "t.load_xlsx = noisy\nfrom projects.sheet_reader import main; main()"])
    with tables.open_table(io.BytesIO(workbook_bytes()), reader_process=True) as table:
        assert len(list(table.sheets[1].rows())) == 21


def test_a_sheet_left_for_another_cannot_be_read_on(always_in_a_child):
    """One stream at a time: rows asked for after another sheet's are refused, never mixed up."""
    with tables.open_table(io.BytesIO(workbook_bytes()), reader_process=True) as table:
        data = table.sheets[1].rows()
        assert [next(data) for _ in range(5)][-1][0] == "R003"
        assert list(table.sheets[0].rows()) == [("本表由系统导出",)]  # its head only: no request
        assert [next(data) for _ in range(2)][-1][0] == "R005"
        more = table.sheets[1].rows()
        assert next(more)[0] == "项目编号"
        assert [next(more) for _ in range(6)][-1][0] == "R005"
        with pytest.raises(RuntimeError, match="read on after another sheet"):
            next(data)
