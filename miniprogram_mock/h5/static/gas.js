// Gas safety: bind a gas user, see planned visits, book a half-day, open the visit record, rate the visit.
import { api, session } from "./api.js";
import { bindForm, guarded, show, subscribe } from "./app.js";
import { el, field, toast, when } from "./ui.js";
import * as wx from "./wx.js";

const OUTCOME = { passed: "检查合格", hazards: "发现隐患", refused: "拒绝入户", nobody_home: "无人在家" };
const SLOT = { am: "上午", pm: "下午" };

function isoDay(offset) {
  const d = new Date(Date.now() + 8 * 3600 * 1000 + offset * 86400 * 1000);  // the day in Shanghai
  return d.toISOString().slice(0, 10);
}

async function openDocument(url, into, label) {
  const file = await wx.downloadFile(url, session.token);
  into.append(el("a", { class: "button primary", href: file.tempFilePath, target: "_blank", rel: "noopener",
                        download: `${label}.pdf` }, `打开${label}`));
}

function planned(v, render) {
  const out = el("div");
  const day = el("input", { type: "date", min: isoDay(1), max: isoDay(30), value: v.booked_for || isoDay(1) });
  const slot = el("select", {}, el("option", { value: "am" }, "上午"), el("option", { value: "pm" }, "下午"));
  if (v.booked_slot) slot.value = v.booked_slot;
  const book = el("button", { class: "primary", type: "button" }, v.booked_for ? "改约" : "预约");
  book.onclick = () => guarded(book, async () => {
    await subscribe(["tmpl-gas-visit"]);
    await api(`/gas/my/visits/${v.task_id}/booking`, { method: "PUT", json: { day: day.value, slot: slot.value } });
    toast("预约成功，检查前会通知你");
    await render();
  }, out);
  return el("li", { class: "visit" },
    el("div", { class: "row" }, el("strong", {}, v.kind === "reinspection" ? "隐患复查" : "入户安检"),
       el("span", { class: "status" }, v.booked_for ? `已约 ${v.booked_for} ${SLOT[v.booked_slot] || ""}` : "待预约")),
    el("div", { class: "muted" }, `${v.number} · ${v.address} · 应检日期 ${v.due_on}${v.inspector ? " · 检查员 " + v.inspector : ""}`),
    field(`day-${v.task_id}`, "预约日期", day), field(`slot-${v.task_id}`, "时段", slot), book, out,
    el("a", { class: "button", href: "#/scan" }, "核验检查员证件"));
}

function visited(v, render) {
  const out = el("div");
  const item = el("li", { class: "visit" },
    el("div", { class: "row" }, el("strong", {}, OUTCOME[v.outcome] || v.outcome),
       el("span", { class: "status" + (v.outcome === "passed" ? "" : " bad") }, when(v.visited_at))),
    el("div", { class: "muted" }, `${v.number} · ${v.address}${v.inspector ? " · 检查员 " + v.inspector : ""}`),
    (v.hazards || []).map((h) => el("div", {}, `隐患：${h.title}（${h.level_name}，${h.status === "open" ? "待整改，期限 " + h.deadline_on : "已整改"}）`)));
  if (v.record_url) {
    const b = el("button", { type: "button" }, "查看检查记录");
    b.onclick = () => guarded(b, () => openDocument(v.record_url, item, "检查记录"), out);
    item.append(b);
  }
  if (v.may_rate) {
    const score = el("select", {}, [5, 4, 3, 2, 1].map((n) => el("option", { value: String(n) }, `${n} 星`)));
    const comment = el("input", { maxlength: 200 });
    const b = el("button", { class: "primary", type: "button" }, "评价本次检查");
    b.onclick = () => guarded(b, async () => {
      await api(`/gas/my/visits/${v.visit_id}/rating`, { method: "POST", json: { score: Number(score.value),
                                                                                 comment: comment.value || null } });
      toast("感谢你的评价");
      await render();
    }, out);
    item.append(...field(`score-${v.visit_id}`, "满意度", score), ...field(`comment-${v.visit_id}`, "评价（可不填）", comment), b);
  } else if (v.rating) {
    item.append(el("div", {}, `我的评价：${v.rating} 星`));
  }
  item.append(out);
  return item;
}

export async function gasView() {
  const visits = await api("/gas/my/visits");
  const upcoming = visits.filter((v) => v.state === "planned");
  const done = visits.filter((v) => v.state === "visited");
  show("燃气安检",
    el("section", { class: "card" }, el("h2", {}, "计划中的上门检查"),
      upcoming.length ? el("ul", { class: "list", id: "planned" }, upcoming.map((v) => planned(v, gasView)))
        : el("p", { class: "muted" }, "暂无计划中的检查。")),
    el("section", { class: "card" }, el("h2", {}, "检查记录"),
      done.length ? el("ul", { class: "list", id: "visited" }, done.map((v) => visited(v, gasView)))
        : el("p", { class: "muted" }, "暂无检查记录。")),
    el("section", { class: "card" }, el("h2", {}, "绑定燃气用户"),
      bindForm("/gas/my/bind", "gas", "户号或表号", "燃气户号或表号，例如 GU0002", "联系人全名或手机号后四位", gasView)));
}
