// 扫码核验: a receipt's QR (its verify link) or an inspector's badge (its payload or verify link), checked with
// the API's public verification — what a citizen does with a paper receipt or at the door.
import { api, session } from "./api.js";
import { guarded, show } from "./app.js";
import { el } from "./ui.js";
import * as wx from "./wx.js";

const BADGE = /^\d+\.\d{8}\.[0-9a-f]{32}$/;
const STATUS = { valid: "有效", expired: "已过期", revoked: "已注销", forged: "伪造", reversed: "已冲红", reversal: "红字票据" };

function payloadOf(text) {
  if (BADGE.test(text)) return { kind: "badge", p: text };
  try {
    const url = new URL(text);
    const p = url.searchParams.get("p");
    if (p && url.pathname.endsWith("/receipts/verify")) return { kind: "receipt", p };
    if (p && url.pathname.endsWith("/gas/badges/verify")) return { kind: "badge", p };
  } catch (e) { /* not a link */ }
  return null;
}

function lines(title, good, rows, advice) {
  return el("section", { class: "card", id: "verdict" }, el("h2", { class: good ? "ok" : "error" }, title),
    el("dl", {}, rows.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => [el("dt", { class: "muted" }, k), el("dd", {}, String(v))])),
    advice ? el("p", {}, advice) : null);
}

async function verify(text) {
  const found = payloadOf(text);
  if (!found) return lines("无法识别的二维码", false, [["内容", text]]);
  if (found.kind === "receipt") {
    const r = await api(`/receipts/verify?p=${encodeURIComponent(found.p)}`, { auth: false, headers: { Accept: "application/json" } });
    if (!r.genuine) return lines("票据验真失败：不是本平台开具的票据", false, []);
    return lines(r.status === "valid" ? "票据真实有效" : `票据真实，状态：${STATUS[r.status] || r.status}`, r.status === "valid",
      [["票据代码", r.code], ["票据号码", r.number], ["缴款人", r.payer], ["金额", `¥${r.amount_yuan}`], ["开具时间", r.issued_at]]);
  }
  const b = await api(`/gas/badges/verify?p=${encodeURIComponent(found.p)}`, { auth: Boolean(session.token),
                                                                               headers: { Accept: "application/json" } });
  return lines(b.valid ? "检查员证件有效" : `证件${STATUS[b.status] || "无效"}`, b.valid,
    [["姓名", b.name], ["单位", b.employer], ["有效期至", b.valid_until],
     ["今天是否有您预约的上门检查", b.visit_booked_today === undefined ? null : (b.visit_booked_today ? "是" : "否")]], b.advice);
}

export async function scanView() {
  const out = el("div", { id: "scan-result" });
  const scan = el("button", { class: "primary", type: "button" }, "扫一扫");
  scan.onclick = () => guarded(scan, async () => {
    const { result } = await wx.scanCode();
    out.replaceChildren(await verify(result));
  }, out);
  show("扫码核验", el("section", { class: "card" },
    el("p", { class: "muted" }, "扫描电子票据上的二维码验真，或扫描燃气检查员证件上的二维码核实身份。"), scan), out);
}
