import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
import time_machine

from milestones import workdays
from projects.models import Role, Unit
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    workdays.clear_cache()
    yield
    workdays.clear_cache()


@pytest.fixture
def travel():
    """travel(date_or_datetime): freeze "now" (Asia/Shanghai, 09:00 for a date) until the test ends."""
    travellers = []

    def go(when):
        if isinstance(when, datetime.date) and not isinstance(when, datetime.datetime):
            when = datetime.datetime.combine(when, datetime.time(9, 0), tzinfo=SHANGHAI)
        while travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(when, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield go
    while travellers:
        travellers.pop().stop()


@pytest.fixture
def land_unit(db):
    """The land node's owner by the seeded deadline rule."""
    return Unit.objects.get(name="市自然资源局")


@pytest.fixture
def land_user(land_unit):
    user = UserFactory(username="ziranziyuan", email="zr@example.com", role=Role.UNIT, role__unit=land_unit)
    return user


@pytest.fixture
def center_user(center_unit):
    return UserFactory(username="zhaoshang", email="center@example.com", role=Role.CENTER, role__unit=center_unit)


class _Robot(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, body))
        self.server.received.append(json.loads(body))
        status, answer = self.server.answers.pop(0) if self.server.answers else (200, {"errcode": 0})
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    """A local DingTalk-style group robot: `.url`, `.received` (JSON bodies), `.requests` (path with
    query and body bytes, as sent), `.answers` to queue (status, json) replies; the default answer is success."""
    server = HTTPServer(("127.0.0.1", 0), _Robot)
    server.received, server.answers, server.requests = [], [], []
    server.url = f"http://127.0.0.1:{server.server_port}/robot/send?access_token=t"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
