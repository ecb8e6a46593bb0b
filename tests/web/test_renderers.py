"""web.renderers.FastJSONRenderer (issue 12): the JSON DRF's renderer writes, encoded by orjson."""

import datetime
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from web.renderers import FastJSONRenderer, render_json

D = datetime.date


def drf(data, media_type=None):
    return JSONRenderer().render(data, media_type)


PLAIN = {
    "code": "SZ2026-001", "name": "年产 30 万套高端智能家居生产线建设项目", "none": None, "yes": True, "no": False,
    "int": -12, "float": 0.1, "ratio": 0.4959, "empty": {}, "list": [1, "二", [None]], "tuple": ("a", 1),
    "quotes": 'say "hi"\\ \n\t\x00', "separators": "a\u2028b\u2029c",
}


def test_it_writes_drfs_bytes():
    assert render_json(PLAIN) == drf(PLAIN)
    assert b"\\u2028" in render_json(PLAIN) and "\u2028".encode() not in render_json(PLAIN)


def test_types_orjson_does_not_know_print_as_drf_prints_them():
    data = {
        "decimal": Decimal("12000.5000"), "date": D(2026, 1, 5),
        "aware": datetime.datetime(2026, 6, 30, 1, 2, 3, 456789, tzinfo=datetime.UTC),
        "shanghai": datetime.datetime(2026, 6, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        "naive": datetime.datetime(2026, 6, 30, 9, 0), "time": datetime.time(9, 30),
        "lazy": gettext_lazy("未填写"), "timedelta": datetime.timedelta(days=1),
    }
    assert render_json(data) == drf(data)


def test_floats_are_the_same_numbers():
    data = [1e-05, 1e16, 123456789.123, -0.0, 2.5e-7, 0.30000000000000004]
    assert json.loads(render_json(data)) == json.loads(drf(data)) == data


@pytest.mark.parametrize("data", [{1: "int key"}, {"big": 2 ** 70}])
def test_what_orjson_refuses_is_written_by_drf(data):
    assert render_json(data) == drf(data)


def test_an_indented_answer_is_drfs():
    media_type = "application/json; indent=4"
    assert FastJSONRenderer().render(PLAIN, media_type) == drf(PLAIN, media_type)
    assert FastJSONRenderer().render(None) == b""


def test_the_large_answers_use_it(client, center_user):
    from tests.factories import ProjectFactory

    ProjectFactory(code="R1", signing_date=D(2026, 1, 10), planned={"land": D(2026, 3, 1)})
    client.force_login(center_user)
    for path in ("/api/overdue/?as_of=2026-06-30", "/api/reports/1330/?year=2026&as_of=2026-06-30",
                 "/api/reports/compliance/?as_of=2026-06-30", "/api/reports/factors/?as_of=2026-06-30"):
        response = client.get(path, HTTP_ACCEPT="application/json")
        assert response.status_code == 200, path
        assert isinstance(response.accepted_renderer, FastJSONRenderer), path
        assert response["Content-Type"] == "application/json"
        assert response.content == drf(json.loads(response.content)), path
        page = client.get(path, HTTP_ACCEPT="text/html")  # the browsable API is still there
        assert page.status_code == 200 and page["Content-Type"].startswith("text/html"), path
