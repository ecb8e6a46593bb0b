"""Section 6's group robots as they really are (issue 10): DingTalk with 加签 and 关键词, WeCom and
飞书 each with its own JSON and size limit, robots for a unit, the investment center and a leader.
A local HTTP sink on 127.0.0.1 receives what is sent; the bytes and the signature are checked."""

import base64
import datetime
import hashlib
import hmac
import urllib.parse
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from notifications.models import Channel, DeliveryStatus, Kind, Notification
from notifications.services import Directory, Message, deliver, rows_for_centers, rows_for_leader, rows_for_unit
from projects.models import Leader, Unit

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NOW_MS = 1795395600000  # NOW in milliseconds since the epoch, as DingTalk wants it
SECRET = "SEC5d41402abc4b2a76b9719d911017c592ae2fd1e1b1b1cc8e7e6c9d4bcd2f5a1"
MESSAGE = Message(Kind.WEEKLY, "weekly:2026-11-23", "【每周逾期预警】2026-11-23", "- 嵊州精密轴承项目｜供地｜逾期 12 天")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def robot_unit(robot, kind, **settings):
    unit = Unit.objects.create(name=f"测试单位-{kind}", webhook_url=robot.url, webhook_kind=kind, **settings)
    return unit


def send(rows):
    [row] = [row for row in rows if row.channel == Channel.WEBHOOK]
    row.save()
    return deliver(notification_id=row.pk), row


def test_dingtalk_with_jiaqian_is_signed_in_the_query_and_sent_its_markdown(robot):
    """DingTalk 加签: timestamp (ms) and sign = URL-encoded base64 HMAC-SHA256 of "timestamp\\nsecret"."""
    unit = robot_unit(robot, "dingtalk", webhook_secret=SECRET)
    outcome, row = send(rows_for_unit(MESSAGE, unit, Directory()))
    assert outcome.status == "sent"
    [(path, body)] = robot.requests
    url = urllib.parse.urlsplit(path)
    query = urllib.parse.parse_qs(url.query)
    assert url.path == "/robot/send" and query["access_token"] == ["t"]
    assert query["timestamp"] == [str(NOW_MS)]
    # What DingTalk's server does: recompute the HMAC and compare with the decoded sign.
    expected = hmac.new(SECRET.encode(), f"{NOW_MS}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert base64.b64decode(query["sign"][0]) == expected
    # The sign is URL-encoded in the request line (base64's + / = escaped).
    raw_sign = url.query.split("sign=")[1]
    assert raw_sign == urllib.parse.quote_plus(base64.b64encode(expected).decode())
    assert body == (
        '{"msgtype":"markdown","markdown":{"title":"【每周逾期预警】2026-11-23",'
        f'"text":"### 【每周逾期预警】2026-11-23\\n\\n> 消息编号 {row.pk} · 第 1 次发送\\n\\n'
        '- 嵊州精密轴承项目｜供地｜逾期 12 天"}}'
    ).encode()


def test_dingtalk_without_a_secret_is_posted_to_the_address_as_is(robot):
    unit = robot_unit(robot, "dingtalk")
    send(rows_for_unit(MESSAGE, unit, Directory()))
    [(path, _)] = robot.requests
    assert path == "/robot/send?access_token=t"


def test_wecom_gets_its_own_markdown_format_byte_for_byte(robot):
    unit = robot_unit(robot, "wecom")
    outcome, row = send(rows_for_unit(MESSAGE, unit, Directory()))
    assert outcome.status == "sent"
    [(path, body)] = robot.requests
    assert path == "/robot/send?access_token=t"
    assert body == (
        '{"msgtype":"markdown","markdown":{"content":"**【每周逾期预警】2026-11-23**\\n\\n'
        f'> 消息编号 {row.pk} · 第 1 次发送\\n\\n- 嵊州精密轴承项目｜供地｜逾期 12 天"}}}}'
    ).encode()


def test_feishu_gets_a_text_message_signed_in_the_body(robot):
    """飞书 加签: timestamp (s) and sign = base64 HMAC-SHA256 keyed with "timestamp\\nsecret" over nothing."""
    unit = robot_unit(robot, "feishu", webhook_secret="feishu-secret")
    outcome, row = send(rows_for_unit(MESSAGE, unit, Directory()))
    assert outcome.status == "sent"
    [payload] = robot.received
    timestamp = NOW_MS // 1000
    expected = base64.b64encode(hmac.new(f"{timestamp}\nfeishu-secret".encode(), b"", hashlib.sha256).digest()).decode()
    assert payload == {"timestamp": str(timestamp), "sign": expected, "msg_type": "text",
                       "content": {"text": f"【每周逾期预警】2026-11-23\n\n消息编号 {row.pk} · 第 1 次发送\n\n"
                                           "- 嵊州精密轴承项目｜供地｜逾期 12 天"}}


def test_a_feishu_refusal_in_the_body_is_a_failed_attempt(robot):
    robot.answers = [(200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})]
    unit = robot_unit(robot, "feishu", webhook_secret="wrong")
    outcome, row = send(rows_for_unit(MESSAGE, unit, Directory()))
    row.refresh_from_db()
    assert outcome.status == "retry" and "19021" in row.last_error


def test_a_keyword_robot_always_gets_its_keyword_in_the_title(robot):
    """关键词 security: DingTalk refuses a message without one of the robot's keywords."""
    unit = robot_unit(robot, "dingtalk", webhook_keyword="重大项目")
    send(rows_for_unit(MESSAGE, unit, Directory()))
    markdown = robot.received[0]["markdown"]
    assert markdown["title"] == "【重大项目】【每周逾期预警】2026-11-23"
    assert markdown["text"].startswith("### 【重大项目】【每周逾期预警】")


def test_a_keyword_already_in_the_title_is_not_added_again(robot):
    unit = robot_unit(robot, "dingtalk", webhook_keyword="逾期预警")
    send(rows_for_unit(MESSAGE, unit, Directory()))
    assert robot.received[0]["markdown"]["title"] == "【每周逾期预警】2026-11-23"


def test_each_kind_has_its_own_size_limit(robot):
    """WeCom takes 4,096 bytes of markdown; DingTalk takes 20,000: the same long Chinese message is
    cut for WeCom and sent whole to DingTalk."""
    body = "\n".join(["嵊州某新能源汽车零部件产业园项目供地逾期四十五天"] * 58)  # 1,449 characters, 4,233 bytes
    message = Message(Kind.WEEKLY, "weekly:long", "周报", body)
    send(rows_for_unit(message, robot_unit(robot, "wecom"), Directory()))
    send(rows_for_unit(message, robot_unit(robot, "dingtalk"), Directory()))
    wecom, dingtalk = robot.received
    assert len(wecom["markdown"]["content"].encode()) <= 4096
    assert wecom["markdown"]["content"].endswith("完整清单请登录系统查看）")
    assert dingtalk["markdown"]["text"].endswith("\n\n" + body)


def test_a_leader_with_a_robot_gets_the_message_there_too(robot):
    leader = Leader.objects.create(name="副市长（分管工业）", webhook_url=robot.url, webhook_kind="wecom")
    rows = rows_for_leader(MESSAGE, leader)
    assert [(r.channel, r.recipient_key) for r in rows] == [
        (Channel.INBOX, f"leader:{leader.pk}"), (Channel.WEBHOOK, f"leader:{leader.pk}")]
    outcome, _ = send(rows)
    assert outcome.status == "sent" and "content" in robot.received[0]["markdown"]


def test_the_investment_centers_robot_gets_the_centers_messages(robot):
    center = Unit.objects.get(is_investment_center=True)
    center.webhook_url, center.webhook_secret = robot.url, SECRET
    center.save()
    outcome, row = send(rows_for_centers(MESSAGE, Directory()))
    assert outcome.status == "sent" and row.unit == center
    assert "sign=" in robot.requests[0][0]


def test_a_robot_configured_again_with_a_new_address_leaves_old_rows_unsigned(robot):
    """A pending row keeps the address it was written for; the owner's secret belongs to the new one."""
    unit = robot_unit(robot, "dingtalk")
    row = [r for r in rows_for_unit(MESSAGE, unit, Directory()) if r.channel == Channel.WEBHOOK][0]
    row.save()
    Unit.objects.filter(pk=unit.pk).update(webhook_url="https://oapi.dingtalk.com/robot/send?access_token=new",
                                           webhook_secret=SECRET)
    deliver(notification_id=row.pk)
    assert robot.requests[0][0] == "/robot/send?access_token=t"
    assert Notification.objects.get(pk=row.pk).status == DeliveryStatus.SENT


def test_a_wecom_address_saved_as_dingtalk_is_refused_with_a_chinese_message():
    unit = Unit(name="某单位", webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
                webhook_kind="dingtalk")
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert error.value.message_dict["webhook_kind"] == ["该地址是企业微信机器人的地址，请把机器人类型选为「企业微信」"]

