// Sanitation fees: bind an account, pay one or several bills through WeChat Pay, download and verify the receipt.
import { api } from "./api.js";
import { bindForm, failure, guarded, show } from "./app.js";
import { el, toast, when, yuan } from "./ui.js";
import * as wx from "./wx.js";

const BILL_STATUS = { unpaid: "待缴", partly_paid: "部分缴纳", paid: "已缴", nothing_due: "无需缴纳" };

async function waitPaid(orderId) {
  for (let i = 0; i < 40; i += 1) {
    const order = await api(`/fees/orders/${orderId}`);
    if (order.status === "paid" || order.status === "paid_after_close") return order;
    await new Promise((r) => setTimeout(r, 750));
  }
  throw new Error("支付结果确认中，请稍后在账单里查看");
}

export async function feesView() {
  const [accounts, bills] = await Promise.all([api("/fees/accounts"), api("/fees/bills")]);
  const payable = bills.filter((b) => b.outstanding_fen > 0 && ["unpaid", "partly_paid"].includes(b.status));
  const account = Object.fromEntries(accounts.map((a) => [a.id, a]));
  const boxes = payable.map((b) => el("label", {}, el("input", { type: "checkbox", value: String(b.id), checked: true,
    "data-fen": String(b.outstanding_fen) }), `${account[b.account_id] ? account[b.account_id].number : ""} ${b.period} 应缴 ¥${yuan(b.outstanding_fen)}`));
  const total = el("p", { class: "amount", id: "total" });
  const sum = () => { total.textContent = `合计 ¥${yuan(boxes.map((l) => l.querySelector("input")).filter((i) => i.checked)
    .reduce((s, i) => s + Number(i.dataset.fen), 0))}`; };
  boxes.forEach((l) => { l.querySelector("input").onchange = sum; });
  sum();
  const payOut = el("div");
  const pay = el("button", { class: "primary", type: "button" }, "微信支付");
  pay.onclick = () => guarded(pay, async () => {
    const ids = boxes.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => Number(i.value));
    if (!ids.length) throw new Error("请选择要缴的账单");
    const { order, payment } = await api("/fees/orders", { method: "POST", json: { bill_ids: ids } });
    await wx.requestPayment(payment, order.amount_yuan, order.description);
    await waitPaid(order.id);
    toast("支付成功，电子票据开具后可在“电子票据”查看");
    await feesView();
  }, payOut);
  show("生活垃圾处理费",
    el("section", { class: "card" }, el("h2", {}, "我的缴费户"),
      accounts.length ? el("ul", { class: "list" }, accounts.map((a) => el("li", {}, `${a.number} · ${a.payer_name}`)))
        : el("p", { class: "muted" }, "还没有绑定缴费户。"),
      el("h3", {}, "绑定缴费户"),
      bindForm("/fees/accounts/bind", "fee", "户号", "例如 D0002", "缴费人全名或手机号后四位", feesView)),
    el("section", { class: "card" }, el("h2", {}, "待缴账单"),
      payable.length ? [boxes, total, payOut, pay] : el("p", { class: "muted", id: "nothing-due" }, "没有待缴账单。")),
    el("section", { class: "card" }, el("h2", {}, "全部账单"),
      el("ul", { class: "list", id: "bills" }, bills.map((b) => el("li", {},
        el("div", { class: "row" }, el("span", {}, `${account[b.account_id] ? account[b.account_id].number : ""} ${b.period}`),
           el("span", { class: "status" + (b.status === "paid" ? "" : " bad") }, BILL_STATUS[b.status] || b.status)),
        el("div", { class: "muted" }, `金额 ¥${yuan(b.amount_fen)} · 已缴 ¥${yuan(b.paid_fen)} · 缴费期限 ${b.due_date}`)))),
      el("a", { class: "button", href: "#/receipts" }, "电子票据")));
}

export async function receiptsView() {
  const receipts = await api("/fees/receipts");
  const out = el("div");
  show("电子票据",
    el("section", { class: "card" }, el("h2", {}, "我的票据"),
      receipts.length ? el("ul", { class: "list", id: "receipts" }, receipts.map((r) => {
        const row = el("li", {}, el("div", { class: "row" }, el("strong", {}, `¥${yuan(r.amount_fen)}`),
          el("span", { class: "status" + (r.status === "issued" ? "" : " bad") },
             { awaiting_issue: "开具中", issued: "已开具", reversed: "已冲红" }[r.status] || r.status)),
          r.doc_number ? el("div", { class: "muted" }, `票据代码 ${r.doc_code} · 号码 ${r.doc_number} · ${when(r.issued_at)}`) : null);
        if (r.download_url) {
          const get = el("button", { type: "button" }, "下载电子票据");
          get.onclick = () => guarded(get, async () => {
            const file = await wx.downloadFile(r.download_url);
            row.append(el("a", { class: "button primary", href: file.tempFilePath, download: `票据-${r.doc_number}.pdf`,
                                 target: "_blank", rel: "noopener" }, "打开票据 PDF"));
            toast("已下载，可打开查看；用“扫码核验”扫描票据上的二维码验真");
          }, out);
          row.append(get, el("a", { class: "button", href: "#/scan" }, "扫码验真"));
        }
        return row;
      })) : el("p", { class: "muted" }, "缴费成功后，票据会在这里出现。"), out));
  if (receipts.some((r) => r.status === "awaiting_issue")) {
    setTimeout(() => { if (location.hash === "#/receipts") receiptsView().catch((e) => show("电子票据", failure(e))); }, 3000);
  }

}
