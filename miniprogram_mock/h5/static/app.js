// The citizen's app: log in, report and follow, pay and verify, book and check — each screen on the public API.
import { api, ApiError, session, useApi } from "./api.js";
import { el, field, toast, when } from "./ui.js";
import * as wx from "./wx.js";
import { feesView, receiptsView } from "./fees.js";
import { gasView } from "./gas.js";
import { scanView } from "./scan.js";

export const TEMPLATES = { "tmpl-report-progress": "办理进度通知", "tmpl-bill-reminder": "缴费提醒",
                           "tmpl-gas-visit": "燃气入户安检通知" };
const view = document.getElementById("view");
let config = {};
let leaving = [];  // timers of the screen on show, stopped when another is shown

export function onLeave(stop) { leaving.push(stop); }
export function every(ms, fn) { const t = setInterval(fn, ms); onLeave(() => clearInterval(t)); }
export function show(title, ...children) {
  document.getElementById("title").textContent = title;
  document.title = `${title} · 穗云智慧城管`;
  view.replaceChildren(...children.flat().filter(Boolean));
}
export function failure(error) {
  return el("p", { class: "error", role: "alert" }, error instanceof ApiError || error instanceof Error ? error.message : String(error));
}
export async function guarded(button, work, out) {
  button.disabled = true;
  if (out) out.textContent = "";
  try { return await work(); } catch (e) {
    if (out) out.replaceChildren(failure(e)); else toast(e.message);
    return undefined;
  } finally { button.disabled = false; }
}
export async function subscribe(ids) {
  const choice = await wx.requestSubscribeMessage(session.openid, ids, TEMPLATES);
  const accepted = ids.filter((id) => choice[id] === "accept");
  if (accepted.length) await api("/me/subscriptions", { method: "POST", json: { template_ids: accepted } });
  return accepted;
}
export function getConfig() { return config; }
// Binding an account to this WeChat user (a fee account, a gas user): its number and what proves it is theirs.
export function bindForm(path, prefix, numberLabel, numberHint, checkHint, again) {
  const out = el("div");
  const number = el("input", { autocomplete: "off", placeholder: numberHint });
  const check = el("input", { autocomplete: "off", placeholder: checkHint });
  const bind = el("button", { type: "button" }, "绑定");
  bind.onclick = () => guarded(bind, async () => {
    await api(path, { method: "POST", json: { number: number.value.trim(), check: check.value.trim() } });
    toast("绑定成功");
    await again();
  }, out);
  return [field(`${prefix}-number`, numberLabel, number), field(`${prefix}-check`, "核验信息", check), bind, out];
}
// A file input as the phone shows it: a large target with Chinese words (the browser's own button is not).
export function picker(title, hint, input) {
  return el("label", { class: "picker" }, input, el("strong", {}, title), el("span", { class: "muted" }, hint));
}

// -- log in -------------------------------------------------------------------------------------------------
function loginView() {
  const openid = el("input", { value: config.demo_openid || "demo-citizen", autocomplete: "off" });
  const out = el("div");
  const go = el("button", { class: "primary", type: "button" }, "微信一键登录");
  go.onclick = () => guarded(go, async () => {
    const { code } = await wx.login(openid.value.trim());
    const answer = await api("/auth/wechat-login", { method: "POST", json: { code }, auth: false });
    session.save(answer.access_token, openid.value.trim(), answer.user);
    location.hash = "#/";
  }, out);
  show("登录", el("section", { class: "card" },
    el("h2", {}, "欢迎使用穗云智慧城管"),
    el("p", { class: "muted" }, "随手拍上报城市管理问题、缴纳生活垃圾处理费、预约燃气入户安检。"),
    field("openid", "模拟的微信用户（openid）", openid), go, out));
}

// -- home ---------------------------------------------------------------------------------------------------
function homeView() {
  const user = session.user || {};
  show("穗云智慧城管",
    el("p", { class: "muted" }, `你好，${user.nickname || user.display_name || "市民"}`),
    el("nav", { class: "tiles", "aria-label": "功能" },
      el("a", { href: "#/report/new" }, el("strong", {}, "随手拍"), el("small", { class: "muted" }, "拍照上报城市问题")),
      el("a", { href: "#/reports" }, el("strong", {}, "我的上报"), el("small", { class: "muted" }, "查看办理进度")),
      el("a", { href: "#/fees" }, el("strong", {}, "垃圾处理费"), el("small", { class: "muted" }, "账单与缴费")),
      el("a", { href: "#/receipts" }, el("strong", {}, "电子票据"), el("small", { class: "muted" }, "下载与验真")),
      el("a", { href: "#/gas" }, el("strong", {}, "燃气安检"), el("small", { class: "muted" }, "预约上门检查")),
      el("a", { href: "#/scan" }, el("strong", {}, "扫码核验"), el("small", { class: "muted" }, "票据、检查员证件")),
      el("a", { href: "#/messages" }, el("strong", {}, "消息"), el("small", { class: "muted" }, "服务通知"))),
    el("button", { type: "button", onclick: () => { session.clear(); location.hash = "#/login"; } }, "退出登录"));
}

// -- report: new --------------------------------------------------------------------------------------------
async function newReportView() {
  const categories = await api("/reports/categories", { auth: false });
  const photos = el("input", { type: "file", accept: "image/*", capture: "environment", multiple: true, id: "photos",
                                class: "sr-only" });
  const previews = el("div", { class: "photos", "aria-live": "polite" });
  photos.onchange = () => previews.replaceChildren(...wx.chooseMedia(photos).map((f) => el("figure", {},
    el("img", { src: URL.createObjectURL(f), alt: `已选照片 ${f.name}` }))));
  const description = el("textarea", { maxlength: 500, placeholder: "描述一下问题，例如：路口垃圾堆积" });
  const hint = el("select", {}, el("option", { value: "" }, "请选择（可不选）"),
                  categories.map((c) => el("option", { value: c.key }, c.label)));
  const address = el("input", { maxlength: 200, placeholder: "例如：三元里大道 123 号门口" });
  const phone = el("input", { type: "tel", inputmode: "tel", placeholder: "方便工作人员联系（可不填）" });
  const where = el("p", { class: "muted", id: "where" }, "尚未定位");
  let point = null;
  const setPoint = (p, how) => {
    point = { lat: p.latitude, lon: p.longitude, coord_system: "gcj02" };
    where.textContent = `${how}：纬度 ${p.latitude.toFixed(6)}，经度 ${p.longitude.toFixed(6)}（GCJ-02）`;
  };
  const locate = el("button", { type: "button" }, "获取当前位置");
  locate.onclick = () => guarded(locate, async () => {
    try { setPoint(await wx.getLocation(), "当前位置"); } catch (e) {
      toast(`${e.message}，请在地图上选点`);
      setPoint(await wx.chooseLocation(config), "地图选点");
    }
  });
  const pick = el("button", { type: "button" }, "在地图上选点");
  pick.onclick = () => guarded(pick, async () => setPoint(await wx.chooseLocation(config), "地图选点"));
  const out = el("div");
  const save = el("button", { class: "primary", type: "button" }, "保存并检查");
  save.onclick = () => guarded(save, async () => {
    const files = wx.chooseMedia(photos);
    if (!files.length) throw new Error("请至少拍一张照片");
    if (!point) throw new Error("请先定位或在地图上选点");
    const body = { description: description.value, location: point, category_hint: hint.value || null,
                   address_text: address.value || null, contact_phone: phone.value || null };
    const report = await api("/reports", { method: "POST", json: body,
                                           headers: { "Idempotency-Key": crypto.randomUUID().replaceAll("-", "") } });
    for (const file of files) {
      const form = new FormData();
      form.append("photo", file);
      await api(`/reports/${report.id}/photos`, { method: "POST", form });
    }
    location.hash = `#/report/${report.id}`;
  }, out);
  show("随手拍",
    el("section", { class: "card" },
      picker("现场照片（1–9 张）", "点此拍照，或从相册选择", photos), previews,
      field("description", "问题描述", description),
      field("hint", "问题类型", hint),
      el("h3", {}, "位置"), where, locate, pick,
      field("address", "地址补充（可不填）", address),
      field("phone", "联系电话（可不填）", phone),
      out, save));
}

// -- reports ------------------------------------------------------------------------------------------------
async function reportsView() {
  const page = await api("/reports?page_size=50");
  show("我的上报", el("section", { class: "card" },
    page.items.length ? el("ul", { class: "list" }, page.items.map((r) => el("li", {},
      el("a", { href: `#/report/${r.id}` },
        el("div", { class: "row" }, el("strong", {}, r.category_label || "随手拍"),
           el("span", { class: "status" + (["rejected", "withdrawn"].includes(r.status) ? " bad" : "") }, r.status_label)),
        el("div", { class: "muted" }, r.description),
        el("div", { class: "muted" }, `${r.report_no} · ${when(r.created_at)}`)))))
      : el("p", { class: "muted" }, "还没有上报。"),
    el("a", { class: "button primary", href: "#/report/new" }, "随手拍")));
}

function photoStrip(photos, onDelete) {
  return el("div", { class: "photos" }, photos.map((p) => el("figure", {},
    el("img", { src: p.urls.thumb || p.urls.display, alt: p.refused ? "未通过检查的照片" : "现场照片" }),
    p.refused ? el("figcaption", { class: "error" }, "未通过内容安全检查") : null,
    onDelete ? el("button", { type: "button", class: "danger", onclick: () => onDelete(p) }, "删除") : null)));
}

// The screen refreshes itself, but never under the person's hands: not while a field has the focus or holds what
// they typed (marked on input) — their words would be lost.
function busy() {
  const active = document.activeElement;
  return (active && view.contains(active) && ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName))
    || view.querySelector("[data-typed]") !== null;
}

async function reportView(id) {
  let shown = "";
  const render = async () => {
    const r = await api(`/reports/${id}`);
    const key = JSON.stringify(r);
    if (key === shown) return;
    shown = key;
    show(r.status === "draft" ? "草稿" : "上报详情", r.status === "draft" ? draftCard(r, render) : detailCards(r, render));
  };
  await render();
  every(4000, () => (busy() ? null : render().catch(() => {})));
}

function draftCard(r, render) {
  const out = el("div");
  const text = el("textarea", { maxlength: 500, value: r.description });
  const fix = el("button", { type: "button" }, "保存修改");
  fix.onclick = () => guarded(fix, async () => { await api(`/reports/${r.id}`, { method: "PATCH", json: {
    description: text.value } }); toast("已保存，正在重新检查"); await render(); }, out);
  const remove = (p) => api(`/reports/${r.id}/photos/${p.id}`, { method: "DELETE" }).then(render).catch((e) => toast(e.message));
  const submit = el("button", { class: "primary", type: "button" }, "提交上报");
  submit.onclick = () => guarded(submit, async () => {
    await subscribe(["tmpl-report-progress"]);
    await api(`/reports/${r.id}/submit`, { method: "POST" });
    toast("已提交，我们会通知你办理进度");
    await render();
  }, out);
  const refusedPhotos = r.photos.filter((p) => p.refused).length;
  return [el("section", { class: "card" },
    el("h2", {}, "内容安全检查"),
    r.text_refused || refusedPhotos
      ? el("p", { class: "error", role: "alert", id: "verdict" },
           [r.text_refused ? "描述含有不宜发布的内容，请修改。" : "", refusedPhotos ? `${refusedPhotos} 张照片未通过检查，请删除后重拍。` : ""].join(""))
      : el("p", { class: "ok", id: "verdict" }, "未发现问题（检查在后台进行，结果会显示在这里）"),
    photoStrip(r.photos, remove),
    field("draft-text", "问题描述", text), fix,
    el("p", { class: "muted" }, `位置（GCJ-02）：${r.location.gcj02.lat.toFixed(6)}, ${r.location.gcj02.lon.toFixed(6)}`),
    out, submit)];
}

function detailCards(r, render) {
  const p = r.progress || {};
  const cards = [el("section", { class: "card" },
    el("div", { class: "row" }, el("strong", {}, r.category_label || "随手拍"), el("span", { class: "status", id: "status" }, r.status_label)),
    el("p", {}, r.description),
    el("p", { class: "muted" }, `编号 ${r.report_no}${r.case_no ? " · 案件 " + r.case_no : ""}`),
    p.department_name ? el("p", {}, `处置单位：${p.department_name}`) : null,
    p.expected_finish_at ? el("p", {}, `预计办结：${when(p.expected_finish_at)}`) : null,
    photoStrip(r.photos))];
  cards.push(el("section", { class: "card" }, el("h2", {}, "办理进度"),
    el("ol", { class: "timeline", id: "timeline" }, (r.timeline || []).map((t) => el("li", {},
      el("strong", {}, t.label), ` · ${when(t.at)}`, t.remark ? el("div", { class: "muted" }, t.remark) : null)))));
  if (r.result) {
    cards.push(el("section", { class: "card" }, el("h2", {}, "办理结果"), el("p", {}, r.result.text || ""),
      photoStrip(r.result.photos || [])));
  }
  const out = el("div");
  if (p.can_withdraw) {
    const b = el("button", { type: "button", class: "danger" }, "撤回上报");
    b.onclick = () => guarded(b, async () => { await api(`/reports/${r.id}/withdraw`, { method: "POST", json: {} }); await render(); }, out);
    cards.push(el("section", { class: "card" }, b, out));
  }
  if (p.can_rate) {
    const stars = [1, 2, 3, 4, 5].map((n) => el("label", {}, el("input", { type: "radio", name: "score", value: String(n),
      checked: n === 5 }), `${n} 星`));
    const comment = el("textarea", { maxlength: 500 });
    const b = el("button", { class: "primary", type: "button" }, "提交评价");
    b.onclick = () => guarded(b, async () => {
      const score = Number(document.querySelector("input[name=score]:checked").value);
      await api(`/reports/${r.id}/rating`, { method: "POST", json: { score, comment: comment.value || null } });
      toast("感谢你的评价");
      await render();
    }, out);
    cards.push(el("section", { class: "card" }, el("h2", {}, "评价办理结果"),
      el("fieldset", { class: "stars" }, el("legend", {}, "满意度"), stars), field("comment", "评价内容（可不填）", comment), b, out));
  } else if (p.rating) {
    cards.push(el("section", { class: "card" }, el("h2", {}, "我的评价"), el("p", {}, `${p.rating.score} 星 ${p.rating.comment || ""}`)));
  }
  if (p.can_reopen) {
    const reason = el("textarea", { maxlength: 500, placeholder: "问题还在？说明一下" });
    const b = el("button", { type: "button" }, "申请重新办理");
    b.onclick = () => guarded(b, async () => {
      await api(`/reports/${r.id}/reopen`, { method: "POST", json: { reason: reason.value } });
      toast("已重新提交办理");
      await render();
    }, out);
    cards.push(el("section", { class: "card" }, el("h2", {}, "不满意？"),
      el("p", { class: "muted" }, `可在 ${when(p.until)} 前申请重新办理（剩余 ${p.reopens_left} 次）`),
      field("reopen-reason", "理由", reason), b, out));
  }
  return cards;
}

// -- the phone's notifications (what WeChat delivered, as the simulator recorded it) ---------------------------
function describe(message) {
  const values = Object.values(message.data || {}).map((v) => v.value);
  return { title: TEMPLATES[message.template_id] || "服务通知", lines: values };
}
function linkOf(page) {
  const m = /pages\/report\/detail\?id=(\d+)/.exec(page || "");
  return m ? `#/report/${m[1]}` : null;
}
async function messagesView() {
  const messages = (await wx.phoneMessages(session.openid)).slice().reverse();
  sessionStorage.setItem("h5.seen", String(messages.length));
  updateBell(0);
  show("消息", el("section", { class: "card" }, el("h2", {}, "服务通知"),
    messages.length ? el("ul", { class: "list", id: "messages" }, messages.map((m) => {
      const d = describe(m);
      const link = linkOf(m.page);
      const body = [el("strong", {}, d.title), el("div", { class: "muted" }, new Date(m.sent_at * 1000)
        .toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false })), d.lines.map((line) => el("div", {}, line))];
      return el("li", {}, link ? el("a", { href: link }, body) : body);
    })) : el("p", { class: "muted" }, "暂无消息。")));
}
function updateBell(n) {
  const count = document.getElementById("bell-count");
  count.hidden = !n;
  count.textContent = n ? String(n) : "";
}
async function pollPhone() {
  if (!session.token) return;
  try {
    const messages = await wx.phoneMessages(session.openid);
    const seen = Number(sessionStorage.getItem("h5.seen") || "0");
    if (messages.length > seen) {
      const d = describe(messages[messages.length - 1]);
      toast(`${d.title}：${d.lines.filter(Boolean).slice(0, 3).join("，")}`, 6000);
      if (location.hash === "#/messages") { sessionStorage.setItem("h5.seen", String(messages.length)); route(); }
      else updateBell(messages.length - seen);
    }
  } catch (e) { /* the simulator restarting: try again next time */ }
}

// -- routing ------------------------------------------------------------------------------------------------
const ROUTES = [
  [/^#\/login$/, loginView, false], [/^#?\/?$/, homeView], [/^#\/report\/new$/, newReportView],
  [/^#\/reports$/, reportsView], [/^#\/report\/(\d+)$/, reportView], [/^#\/messages$/, messagesView],
  [/^#\/fees$/, feesView], [/^#\/receipts$/, receiptsView], [/^#\/gas$/, gasView], [/^#\/scan$/, scanView],
];

async function route() {
  leaving.forEach((stop) => stop());
  leaving = [];
  const hash = location.hash || "#/";
  const [pattern, render, needsLogin = true] = ROUTES.find(([p]) => p.test(hash)) || ROUTES[1];
  if (needsLogin && !session.token) { location.hash = "#/login"; return; }
  document.getElementById("back").hidden = hash === "#/" || hash === "#/login";
  try {
    await render(...(pattern.exec(hash) || []).slice(1));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { location.hash = "#/login"; return; }
    show("出错了", failure(e));
  }
  view.focus();
}

async function start() {
  config = await fetch("/h5/config.json").then((r) => r.json());
  if (!config.api) { show("未配置", el("p", { class: "error" }, "模拟器启动时没有告诉页面 API 地址（--api）。")); return; }
  useApi(config.api);
  window.addEventListener("hashchange", route);
  view.addEventListener("input", (event) => { event.target.dataset.typed = "1"; });
  setInterval(pollPhone, 3000);
  await route();
  document.body.dataset.ready = "1";
}
window.addEventListener("DOMContentLoaded", start);
