"""The console in a real browser: Playwright for Python driving Debian's Chromium (/usr/bin/chromium; `make test`
installs it). One journey carries a citizen's report from 受理 to 结案 through four people's screens; axe-core
checks every screen (no serious or critical violation) and the page's CSP must not have refused anything.

`make screenshots` runs the journey with SCREENSHOTS_DIR set: each screen is saved at 1440×900 (docs/console/).
"""

import json
import os
from pathlib import Path

import pytest

from tests.api.cases.conftest import build_world, closed_case, new_case
from tests.console.conftest import PASSWORD
from tests.support import jpeg

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "console" / "static" / "vendor" / "axe-core" / "axe.min.js"
SHOTS = os.environ.get("SCREENSHOTS_DIR")
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (scripts/ensure_services.sh)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update"])
        yield chromium
        chromium.close()


@pytest.fixture
def journey_world(api_server, committed, client, wechat):
    return api_server, build_world(committed, client, wechat)


class Screen:
    """One person's browser window: signs in through the form, checks each page it sees."""

    def __init__(self, browser, base: str, width: int = 1440, height: int = 900, **context):
        self.context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height}, **context)
        self.page = self.context.new_page()
        self.base, self.refused = base, []
        self.page.on("console", lambda m: self.refused.append(m.text)
                     if m.type == "error" and "Content Security Policy" in m.text else None)

    def sign_in(self, username: str) -> None:
        self.page.goto(self.base + "/console/sign-in")
        self.check("sign-in")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state()

    def check(self, name: str) -> None:
        """axe-core on the page as it is (no serious or critical violation); the CSP refused nothing; saved as
        docs/console/<name>.png when screenshots are asked for."""
        self.page.wait_for_load_state("networkidle")
        self.page.evaluate(AXE.read_text())
        violations = self.page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))""")
        assert violations == [], f"{name}: {json.dumps(violations, ensure_ascii=False)}"
        assert self.refused == [], f"{name}: the CSP refused {self.refused}"
        if SHOTS:
            self.page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))

    def open_case(self, desk_label: str, case_no: str, name: str) -> None:
        self.page.get_by_role("link", name=desk_label, exact=True).click()
        self.page.wait_for_load_state()
        self.check(f"desk-{name}")
        self.page.get_by_role("link", name=case_no).click()
        self.page.wait_for_load_state()

    def press(self, button: str) -> None:
        self.page.get_by_role("button", name=button, exact=True).click()
        self.page.wait_for_load_state()
        assert self.page.locator(".flash.error").count() == 0, self.page.locator(".flash.error").all_inner_texts()


def test_a_report_carried_to_closure_in_the_browser(browser, journey_world, client, tmp_path):
    base, world = journey_world
    report_id, case_id = new_case(client, world["t"])
    case_no = client.get(f"/cases/{case_id}", headers=world["t"]["clerk"]).json["case_no"]
    staff = world["staff"]

    clerk = Screen(browser, base)
    clerk.sign_in(staff["clerk"].username)
    assert clerk.page.url.endswith("/console/desks/intake")
    clerk.open_case("受理", case_no, "intake")
    clerk.check("case-intake")
    clerk.page.get_by_label("给市民的说明").first.fill("您反映的问题已立案")
    clerk.press("立案")
    assert "待派遣" in clerk.page.inner_text("h1")
    clerk.page.get_by_role("button", name="退出登录").click()
    assert clerk.page.url.endswith("/console/sign-in")

    dispatcher = Screen(browser, base)
    dispatcher.sign_in(staff["dispatcher"].username)
    dispatcher.open_case("派遣", case_no, "dispatch")
    assert "权责清单指定" in dispatcher.page.inner_text("form.action-dispatch")
    dispatcher.check("case-dispatch")
    dispatcher.press("派遣")

    handler = Screen(browser, base)
    handler.sign_in(staff["handler"].username)
    handler.open_case("部门工单", case_no, "department")
    handler.press("签收")
    photo = tmp_path / "after.jpg"
    photo.write_bytes(jpeg(color=(20, 160, 40)))
    handler.page.get_by_label("照片（一次最多 6 张）").set_input_files([str(photo)])
    handler.press("上传")
    handler.page.get_by_label("处置情况").fill("垃圾已清运，现场已冲洗")
    handler.check("case-department")
    handler.press("处置反馈")

    supervisor = Screen(browser, base)
    supervisor.sign_in(staff["supervisor"].username)
    supervisor.open_case("待核查", case_no, "verification")
    assert supervisor.page.locator("h3", has_text="第 1 轮处置").count() == 1  # the after-photo beside the report's
    supervisor.check("case-verification")
    supervisor.press("核查通过")
    assert "已结案" in supervisor.page.inner_text("h1")
    supervisor.check("case-closed")

    timeline = client.get(f"/reports/{report_id}", headers=world["t"]["alice"]).json["timeline"]
    assert [e["action"] for e in timeline] == ["created", "submit", "accept", "dispatch", "check_pass"]
    assert timeline[2]["remark"] == "您反映的问题已立案"


def test_the_big_screen_shows_a_new_report_within_ten_seconds(browser, journey_world, client):
    """The wall (1920×1080) polls by itself: a report submitted through the API appears as a pin and in the tiles
    without a reload."""
    base, world = journey_world
    wall = Screen(browser, base, 1920, 1080)
    wall.sign_in(world["staff"]["command"].username)
    assert wall.page.url.endswith("/console/command")
    wall.page.wait_for_function("() => document.getElementById('command-map').dataset.total === '0'")
    new_case(client, world["t"])
    wall.page.wait_for_function("() => document.getElementById('command-map').dataset.total === '1'",
                                timeout=10_000)  # the poll is every 5 s
    wall.page.wait_for_function("() => document.querySelector('[data-kpi=open]').textContent.trim() === '1'",
                                timeout=10_000)
    wall.page.get_by_label("按在办案件数着色网格").check()
    wall.page.wait_for_timeout(500)
    wall.check("command")


def test_the_evaluation_in_the_browser_shows_the_apis_numbers(browser, journey_world, client):
    base, world = journey_world
    closed_case(client, world["t"])
    new_case(client, world["t"])
    screen = Screen(browser, base)
    screen.sign_in(world["staff"]["command"].username)
    screen.page.get_by_role("link", name="综合评价").click()
    screen.page.wait_for_load_state()
    assert screen.page.locator("#trend-chart canvas").count() >= 1  # ECharts drew the weekly trend
    screen.check("evaluation")
    first = screen.page.get_by_label("开始日期").input_value()
    after = screen.page.get_by_label("截止日期（不含）").input_value()
    rows = client.get(f"/statistics?group_by=street&from={first}&to={after}",
                      headers=world["t"]["command"]).json["rows"]
    for field in ("received", "accepted", "dispatched", "closed", "closed_on_time", "should_close"):
        shown = [int(t) for t in screen.page.locator(f"tbody td[data-field={field}]").all_inner_texts()]
        assert shown == [row[field] for row in rows], field
    screen.page.get_by_role("link", name="消息").click()
    screen.page.wait_for_load_state()
    screen.check("inbox")
