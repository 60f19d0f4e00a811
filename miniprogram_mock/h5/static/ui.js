// DOM helpers: elements built from data (never HTML strings: a citizen's words are text, not markup).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node[key] = value;
    else if (["checked", "disabled", "hidden", "muted", "value"].includes(key)) node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A bottom sheet (a modal dialog). `onCancel` runs when the person dismisses it with Escape (or the back gesture):
// the caller settles what it was waiting for and lets go of what it held (the camera).
export function sheet(title, children, onCancel) {
  const dialog = document.getElementById("sheet");
  dialog.replaceChildren(el("h2", { id: "sheet-title" }, title), ...children.filter(Boolean));
  dialog.oncancel = (event) => {
    event.preventDefault();
    closeSheet();
    if (onCancel) onCancel();
  };
  if (!dialog.open) dialog.showModal();
}

export function closeSheet() {
  const dialog = document.getElementById("sheet");
  dialog.oncancel = null;
  if (dialog.open) dialog.close();
  dialog.replaceChildren();
}

let toastTimer = null;
export function toast(text, ms = 4000) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, ms);
}

export function field(id, label, input) {
  input.id = id;
  return [el("label", { for: id }, label), input];
}

export const yuan = (fen) => (fen / 100).toFixed(2);

export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
}
