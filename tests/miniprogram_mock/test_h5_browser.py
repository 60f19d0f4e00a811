"""The mini-program's stand-in (/h5/ on the simulator) in a real browser: Debian's Chromium in a phone's viewport
(390×844, touch), driven by Playwright. A citizen reports with a photo and follows the case as staff move it through
the API, to the phone's notification and the rating; a bill is paid through the simulator's pay sheet and its
e-receipt downloaded and verified by scanning its QR; a gas visit is booked and the inspector's badge checked by
scanning it. The same API and simulator as `make run`, on free ports; the page calls the API across origins
(CORS_ORIGINS names the simulator's origin). axe-core checks every screen; the page's CSP must refuse nothing.

`make screenshots` runs these with SCREENSHOTS_DIR=docs/h5: each screen is saved at the phone's size.
"""

import io
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from api.db import unit_of_work
from api.events.service import Actor
from api.fees.models import Receipt
from api.gas import checklist, planning, users
from api.organisation import grids
from api.premises.service import import_premises
from api.reports.models import Report
from api.timefmt import today
from tests.api.cases.conftest import act, after_photo, build_world
from tests.api.gas.conftest import HERE, _premises, gas_users_csv, passing, visit
from tests.console.test_browser import Screen
from tests.console.test_browser import browser as browser  # noqa: F401 - Debian's Chromium, one per module
from tests.factories.identity import StaffFactory
from tests.fees_world import make_world, months_ago
from tests.support import jpeg, run_worker, staff_token, wait_for

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


class Phone(Screen):
    """A citizen's phone: a touch screen of 390×844 whose browser can give a position (WGS-84, as browsers do)."""

    def __init__(self, browser, mock_url: str, position: tuple[float, float] | None = None):  # noqa: F811
        super().__init__(browser, mock_url.rstrip("/"), PHONE["width"], PHONE["height"], has_touch=True,
                         is_mobile=True, device_scale_factor=2,
                         geolocation={"latitude": position[0], "longitude": position[1]} if position else None,
                         permissions=["geolocation"] if position else [])
        self.page.set_default_timeout(15_000)

    def log_in(self, openid: str) -> None:
        self.page.goto(self.base + "/h5/")
        self.page.wait_for_selector("body[data-ready]")
        self.check("login")
        self.page.get_by_label("模拟的微信用户（openid）").fill(openid)
        self.page.get_by_role("button", name="微信一键登录").click()
        self.page.get_by_role("link", name="随手拍").wait_for()

    def tap(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).first.tap()

    def go(self, link: str) -> None:
        self.page.get_by_role("link", name=link).first.tap()

    def keyboard_reaches(self, presses: int) -> list[str]:
        """What the Tab key focuses, in order: each control's accessible name as the page labels it."""
        reached = []
        for _ in range(presses):
            self.page.keyboard.press("Tab")
            reached.append(self.page.evaluate("""() => { const e = document.activeElement;
                const label = e.labels && e.labels.length ? e.labels[0].innerText : '';
                return (label || e.getAttribute('aria-label') || e.innerText || e.value || e.tagName).trim(); }"""))
        return reached

    def bind(self, screen: str, number_label: str, number: str, check: str) -> None:
        """Open the screen and bind an account there (a fee account, a gas user) with its number and its check."""
        self.go(screen)
        self.page.get_by_label(number_label).fill(number)
        self.page.get_by_label("核验信息").fill(check)
        self.tap("绑定")

    def allow_messages(self) -> None:
        self.page.locator("dialog[open]").get_by_role("button", name="允许").tap()


def picture(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_citizen_reports_follows_and_rates_it_on_the_phone(browser, api_server, committed, client, wechat,  # noqa: F811
                                                             mock_server, tmp_path):
    world = build_world(committed, client, wechat)
    t = world["t"]
    here = HERE  # where the phone is (WGS-84, as the browser's geolocation gives it)
    phone = Phone(browser, mock_server.url, position=here)
    phone.log_in("o-h5-report")
    phone.check("home")

    phone.go("随手拍")
    phone.page.get_by_label("问题描述").wait_for()
    phone.check("report-new")
    reached = " | ".join(phone.keyboard_reaches(12))
    for control in ("现场照片", "问题描述", "问题类型", "获取当前位置", "在地图上选点", "地址补充", "联系电话",
                    "保存并检查"):
        assert control in reached, (control, reached)  # every control of the form, by keyboard, with its label
    phone.page.get_by_label("现场照片（1–9 张）").set_input_files(picture(tmp_path, "scene.jpg", jpeg()))
    phone.page.get_by_label("问题描述").fill("小区门口垃圾堆积没人清理，有人在这里赌博")
    phone.page.get_by_label("问题类型").select_option("exposed_garbage")
    phone.tap("获取当前位置")
    phone.page.get_by_text("（GCJ-02）").wait_for()
    phone.tap("保存并检查")
    phone.page.get_by_role("heading", name="内容安全检查").wait_for()
    report_id = int(phone.page.url.rsplit("/", 1)[1])
    stored = committed.get(Report, report_id)
    committed.refresh(stored)
    assert abs(stored.lat - here[0]) < 1e-5 and abs(stored.lon - here[1]) < 1e-5  # GCJ-02 from the page, WGS-84 kept

    run_worker()  # the content check: the simulator finds a risky word
    phone.page.get_by_text("描述含有不宜发布的内容，请修改。").wait_for()
    phone.check("report-draft-refused")
    phone.page.get_by_label("问题描述").fill("小区门口垃圾堆积没人清理")
    phone.tap("保存修改")
    run_worker()
    phone.page.get_by_text("未发现问题", exact=False).wait_for()
    phone.tap("提交上报")
    phone.page.locator("dialog[open]").wait_for()
    phone.check("subscribe-sheet")
    phone.allow_messages()
    phone.page.locator("#status", has_text="待受理").wait_for()

    case_id = client.get("/cases?desk=intake", headers=t["clerk"]).json["items"][0]["id"]
    assert act(client, t["clerk"], case_id, "accept").status_code == 200
    run_worker()  # the progress message goes out through WeChat's subscribe-message send
    phone.page.locator("#toast", has_text="办理进度通知").wait_for()
    phone.page.locator("#status", has_text="已立案").wait_for()
    phone.check("report-accepted")
    act(client, t["dispatcher"], case_id, "dispatch")
    act(client, t["handler"], case_id, "receive")
    assert after_photo(client, t["handler"], case_id).status_code == 201
    act(client, t["handler"], case_id, "result", {"result_text": "已清运"})
    assert act(client, t["supervisor"], case_id, "check", {"passed": True}).json["status"] == "closed"
    run_worker()
    phone.page.locator("#status", has_text="已办结").wait_for()
    phone.page.get_by_role("heading", name="评价办理结果").wait_for()
    phone.check("report-closed")
    phone.page.get_by_label("评价内容（可不填）").fill("清理得很及时")
    phone.tap("提交评价")
    phone.page.get_by_role("heading", name="我的评价").wait_for()
    phone.page.get_by_label("理由").fill("垃圾又堆起来了")  # within the window: handled again
    phone.tap("申请重新办理")
    phone.page.locator("#timeline", has_text="已重新处理").wait_for()
    assert client.get(f"/cases/{case_id}", headers=t["dispatcher"]).json["status"] != "closed"

    phone.page.locator("#bell").tap()
    phone.page.locator("#messages li").first.wait_for()
    phone.check("messages")
    assert phone.page.locator("#messages li").count() >= 1
    phone.page.locator("#messages a").first.tap()
    phone.page.locator("#timeline").wait_for()
    assert f"#/report/{report_id}" in phone.page.url
    phone.go("返回首页")
    phone.go("我的上报")
    phone.page.locator(f"a[href=\"#/report/{report_id}\"]").wait_for()
    phone.check("reports")


def _receipt_picture(tmp_path, pdf: bytes) -> str:
    """The receipt on paper, as a phone's camera sees it: its first page as a picture."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=2).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, "PNG")
    return picture(tmp_path, "receipt.png", out.getvalue())


def test_a_bill_is_paid_and_its_receipt_verified_by_scanning(browser, app, api_server, committed, client,  # noqa: F811
                                                             mock_server, tmp_path):
    with unit_of_work():
        make_world()
    for months in (2, 1):  # two months owed: paid together
        ran = app.test_cli_runner().invoke(args=["billing", "run", "--period", months_ago(months).strftime("%Y-%m")])
        assert ran.exit_code == 0, ran.output
    phone = Phone(browser, mock_server.url)
    phone.log_in("o-h5-fees")
    phone.bind("垃圾处理费", "户号", "A0001", "张三")
    phone.page.locator("#total").wait_for()
    phone.check("fees")
    phone.tap("微信支付")
    assert phone.page.locator("#total").inner_text() == "合计 ¥10.00"
    phone.page.locator("dialog[open]").get_by_text("¥10.00").wait_for()
    phone.check("pay-sheet")
    phone.page.locator("dialog[open]").get_by_role("button", name="确认支付").tap()
    phone.page.locator("#nothing-due").wait_for()  # paid: the simulator's notify settled the order
    assert phone.page.locator("#bills .status", has_text="已缴").count() == 2

    run_worker()  # the receipt is prepared, then issued by the e-receipt platform
    wait_for(lambda: committed.scalar(sa.select(sa.func.count()).select_from(Receipt)
                                      .where(Receipt.status == "issued")) == 1, timeout=15)
    phone.go("电子票据")
    phone.tap("下载电子票据")
    opened = phone.page.get_by_role("link", name="打开票据 PDF")
    opened.wait_for()
    phone.check("receipts")
    with phone.page.expect_download() as saved:
        opened.tap()  # the file the phone downloaded (wx.downloadFile), opened
    pdf = open(saved.value.path(), "rb").read()
    assert pdf.startswith(b"%PDF-")
    receipt = committed.scalars(sa.select(Receipt)).one()

    phone.go("扫码验真")
    phone.tap("扫一扫")
    phone.page.locator("#scan-file").set_input_files(_receipt_picture(tmp_path, pdf))
    phone.page.get_by_role("heading", name="票据真实有效").wait_for()
    assert receipt.doc_number in phone.page.locator("#verdict").inner_text()
    phone.check("receipt-verified")


def _gas_world(committed, client, wechat):
    world = build_world(committed, client, wechat)
    street = grids.codes_of(*HERE).street_code
    with unit_of_work():
        import_premises(_premises(street), Actor.system())
        users.import_users(gas_users_csv((today() - timedelta(days=400)).isoformat()), Actor.system(), today())
        planning.plan(today(), 30, Actor.system())  # R0001, last inspected 400 days ago, is due
    inspector = StaffFactory(roles=("gas_inspector",), scope_division_code=street, display_name="安检员甲")
    boss = StaffFactory(roles=("gas_supervisor",), scope_division_code=street)
    committed.commit()
    return world, inspector, boss


def _inspector_visits(client, inspector, boss) -> None:
    """The inspector is given the task, visits, and the field app syncs the visit (checklist passed)."""
    for task in committed_tasks():
        assert client.post(f"/gas/tasks/{task}/reassign", json={"inspector_id": inspector.id, "reason": "集中安排"},
                           headers=staff_token(boss)).status_code == 200
    (task,) = [t for t in client.get("/gas/field/tasks", headers=staff_token(inspector)).json if t["number"] == "R0001"]
    codes = [i.code for i in checklist.applicable("v1", "residential", "pipeline")]
    synced = client.post("/gas/field/visits", json={"visits": [visit(task, "passed", passing(codes))]},
                         headers=staff_token(inspector))
    assert synced.status_code == 200 and synced.json["results"][0]["status"] == "accepted", synced.json
    run_worker()  # the visit is applied (its record, the next due date)


def committed_tasks() -> list[int]:
    from api.db import Session
    from api.gas.models import GasTask

    return list(Session.scalars(sa.select(GasTask.id)))


def _badge_picture(tmp_path, text: str) -> str:
    import zxingcpp
    from PIL import Image

    code = zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode), scale=8)
    out = io.BytesIO()
    Image.fromarray(np.asarray(code)).convert("L").save(out, "PNG")  # the badge's QR, as the phone's camera sees it
    return picture(tmp_path, "badge.png", out.getvalue())


def test_a_gas_visit_is_booked_and_the_inspectors_badge_checked(browser, api_server, committed, client,  # noqa: F811
                                                                wechat, mock_server, tmp_path):
    world, inspector, boss = _gas_world(committed, client, wechat)
    phone = Phone(browser, mock_server.url)
    phone.log_in("o-h5-gas")
    phone.bind("燃气安检", "户号或表号", "R0001", "陈一")
    phone.page.locator("#planned li").first.wait_for()
    phone.check("gas")
    phone.page.locator("#planned li").first.get_by_role("button", name="预约").tap()
    phone.allow_messages()
    phone.page.locator("#planned .status", has_text="已约").wait_for()

    badge = client.get("/gas/field/badge", headers=staff_token(inspector)).json
    phone.page.locator("#planned li").first.get_by_role("link", name="核验检查员证件").tap()
    phone.tap("扫一扫")
    phone.check("scan-sheet")
    phone.page.locator("#scan-file").set_input_files(_badge_picture(tmp_path, badge["payload"]))
    phone.page.get_by_role("heading", name="检查员证件有效").wait_for()
    assert "安检员甲" in phone.page.locator("#verdict").inner_text()
    phone.check("badge-verified")

    _inspector_visits(client, inspector, boss)
    phone.go("返回首页")
    phone.go("燃气安检")
    visited = phone.page.locator("#visited li").first
    visited.get_by_text("检查合格").wait_for()
    visited.get_by_role("button", name="查看检查记录").tap()
    with phone.page.expect_download() as saved:
        visited.get_by_role("link", name="打开检查记录").tap()  # fetched with the citizen's token, then opened
    assert open(saved.value.path(), "rb").read().startswith(b"%PDF-")
    phone.page.get_by_label("评价（可不填）").fill("检查很仔细")
    phone.tap("评价本次检查")
    phone.page.get_by_text("我的评价：5 星").wait_for()
    phone.check("gas-visited")


def test_without_a_position_the_citizen_chooses_a_point_on_the_map(browser, api_server, committed, client,  # noqa: F811
                                                                   wechat, mock_server):
    build_world(committed, client, wechat)
    phone = Phone(browser, mock_server.url)  # this browser gives no position
    phone.log_in("o-h5-map")
    phone.go("随手拍")
    phone.tap("获取当前位置")
    chooser = phone.page.locator("dialog[open]")
    chooser.get_by_role("heading", name="在地图上选点").wait_for()
    chooser.locator(".leaflet-container").wait_for()
    phone.check("map-picker")
    chooser.locator("#pick-map").click()  # the middle of the district
    chooser.get_by_text("已选：").wait_for()
    chooser.get_by_role("button", name="确定").tap()
    where = phone.page.locator("#where")
    where.get_by_text("地图选点").wait_for()
    assert "GCJ-02" in where.inner_text()
