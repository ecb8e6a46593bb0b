"""Issue 12 part 5: the bulletin's long tables are laid out in slices, so pages (and time) grow
linearly with the rows, every row is printed once, and every page of the list starts with its header."""

import datetime
import re

import pytest

from reports.bulletin import bulletin_story
from reports.pdf import render
from reports.selectors import bulletin_data
from tests.reports.test_pdf import page_texts, poppler, save_and_render  # noqa: F401 (fixture)

AS_OF = datetime.date(2026, 6, 29)
pytestmark = pytest.mark.django_db


def overdue_rows(n: int) -> list[dict]:
    return [{"code": f"OD{i:05d}", "name": f"规模测试项目{i}" + ("（二期扩建）" * (i % 3)), "node": "开工",
             "planned_date": AS_OF - datetime.timedelta(days=1 + i % 90), "overdue_days": 1 + i % 90,
             "light": "red" if i % 90 >= 29 else "yellow", "unit": f"测试单位{i % 17}",
             "leader": None if i % 5 else "王副市长"} for i in range(n)]


def bulletin_pages(n: int, name: str) -> list[str]:
    data = bulletin_data(as_of=AS_OF)
    data["overdue"] = overdue_rows(n)
    return page_texts(save_and_render(render(bulletin_story(data), title="规模测试"), name))


def test_the_overdue_list_grows_by_the_same_pages_per_rows_and_loses_nothing(poppler):
    step = 157  # page ends fall at different rows each time
    pages = {n: bulletin_pages(n, f"bulletin-scale-{n}") for n in (step, 2 * step, 3 * step)}
    counts = [len(pages[n]) for n in sorted(pages)]
    assert abs((counts[2] - counts[1]) - (counts[1] - counts[0])) <= 1, counts
    for n, texts in pages.items():
        printed = re.findall(r"OD\d{5}", "".join(texts))
        assert sorted(printed) == [f"OD{i:05d}" for i in range(n)], n  # each row once, none lost
        list_pages = [page for page in texts if re.search(r"OD\d{5}", page)]
        assert all("序号项目编号项目名称节点计划日期逾期天数亮灯责任单位联系市领导" in page for page in list_pages)
