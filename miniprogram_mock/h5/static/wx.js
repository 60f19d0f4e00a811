// The mini-program APIs the app relies on, each stood in by what behaves like it here (docs/h5.md):
// wx.login → the simulator's code; wx.chooseMedia → a file input with camera capture; wx.getLocation → the
// browser's position converted to GCJ-02 (gcoord), or a point chosen on a map; wx.requestSubscribeMessage → the
// simulator's subscription tap; wx.requestPayment → the simulator's pay sheet with the API's paySign;
// wx.scanCode → a picture (camera or file) of a QR decoded in the page (jsQR); wx.downloadFile → a fetched blob.
import { el, sheet, closeSheet } from "./ui.js";

const SIM = location.origin + "/";

async function sim(path, body) {
  const answer = await fetch(SIM + path, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok || (data.errcode && data.errcode !== 0)) {
    throw new Error(data.message || data.errmsg || `微信模拟器返回 ${answer.status}`);
  }
  return data;
}

// wx.login: a one-time code for this WeChat user (the simulator's user is the openid typed on the login screen).
export async function login(openid) {
  const { code } = await sim("_mock/login-code", openid ? { openid } : {});
  return { code, errMsg: "login:ok" };
}

// wx.chooseMedia: the files of an <input type=file accept=image/* capture=environment>.
export function chooseMedia(input) {
  return Array.from(input.files || []);
}

function toGcj02(lon, lat) {
  const [gLon, gLat] = window.gcoord.transform([lon, lat], window.gcoord.WGS84, window.gcoord.GCJ02);
  return { longitude: +gLon.toFixed(6), latitude: +gLat.toFixed(6) };
}

// wx.getLocation({type: "gcj02"}): WeChat answers in GCJ-02; the browser answers in WGS-84, converted here.
export function getLocation() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error("此浏览器不提供定位")); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ ...toGcj02(p.coords.longitude, p.coords.latitude), accuracy: p.coords.accuracy,
                       type: "gcj02", errMsg: "getLocation:ok" }),
      (e) => reject(new Error(e.code === 1 ? "没有定位权限" : "无法获取位置")),
      { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
  });
}

// wx.chooseLocation: a point chosen on a map of the district (WGS-84 on screen, answered in GCJ-02 as WeChat does).
export function chooseLocation(config) {
  return new Promise((resolve, reject) => {
    const [west, south, east, north] = config.district_bbox || [113.1445, 23.1406, 113.5049, 23.4313];
    const box = el("div", { class: "map", id: "pick-map", role: "application", "aria-label": "地图：点击选择问题地点" });
    const chosen = el("p", { class: "muted", id: "pick-chosen" }, "点击地图选择地点");
    const ok = el("button", { class: "primary", type: "button", disabled: true }, "确定");
    let point = null;
    const use = (lat, lon) => {
      point = { lat, lon };
      chosen.textContent = `已选：纬度 ${lat.toFixed(5)}，经度 ${lon.toFixed(5)}（WGS-84，将按 GCJ-02 上报）`;
      ok.disabled = false;
    };
    const demo = config.demo_point_gcj02;
    sheet("在地图上选点", [
      box, chosen,
      demo ? el("button", { type: "button", onclick: () => { closeSheet(); resolve({ latitude: demo.lat,
        longitude: demo.lon, type: "gcj02", errMsg: "chooseLocation:ok" }); } }, "用演示地点（三元里）") : null,
      ok, el("button", { type: "button", onclick: () => { closeSheet(); reject(new Error("已取消选点")); } }, "取消"),
    ], () => reject(new Error("已取消选点")));
    const map = window.L.map(box, { attributionControl: false }).fitBounds([[south, west], [north, east]]);
    window.L.rectangle([[south, west], [north, east]], { color: "#07c160", weight: 2, fill: false }).addTo(map);
    let marker = null;
    map.on("click", (e) => {
      marker = marker || window.L.marker(e.latlng).addTo(map);
      marker.setLatLng(e.latlng);
      use(e.latlng.lat, e.latlng.lng);
    });
    setTimeout(() => map.invalidateSize(), 50);
    ok.onclick = () => { closeSheet(); resolve({ ...toGcj02(point.lon, point.lat), type: "gcj02",
                                                 errMsg: "chooseLocation:ok" }); };
  });
}

// wx.requestSubscribeMessage: WeChat's "allow these messages?" sheet; an accepted template is one send granted on
// WeChat's side (the simulator's tap). The app then tells its server (POST /me/subscriptions).
export function requestSubscribeMessage(openid, tmplIds, labels) {
  return new Promise((resolve) => {
    const boxes = tmplIds.map((id) => el("label", {}, el("input", { type: "checkbox", checked: true, value: id }),
                                         labels[id] || id));
    const answer = async (accept) => {
      const result = { errMsg: "requestSubscribeMessage:ok" };
      for (const box of boxes) {
        const input = box.querySelector("input");
        const yes = accept && input.checked;
        if (yes) await sim("_mock/subscriptions", { openid, template_id: input.value, count: 1 });
        result[input.value] = yes ? "accept" : "reject";
      }
      closeSheet();
      resolve(result);
    };
    sheet("“穗云智慧城管”想给你发送以下消息", [
      ...boxes,
      el("button", { class: "primary", type: "button", onclick: () => answer(true) }, "允许"),
      el("button", { type: "button", onclick: () => answer(false) }, "取消"),
    ], () => resolve(Object.fromEntries([["errMsg", "requestSubscribeMessage:ok"],
                                         ...tmplIds.map((id) => [id, "reject"])])));
  });
}

// wx.requestPayment: WeChat's pay sheet. The simulator checks paySign against the merchant's key before it pays.
export function requestPayment(payment, amountYuan, description) {
  return new Promise((resolve, reject) => {
    const error = el("p", { class: "error", role: "alert" });
    const pay = el("button", { class: "primary", type: "button" }, "确认支付");
    pay.onclick = async () => {
      pay.disabled = true;
      try {
        const paid = await sim("_mock/pay/confirm", payment);
        closeSheet();
        resolve({ errMsg: "requestPayment:ok", transaction_id: paid.transaction_id });
      } catch (e) {
        error.textContent = "支付失败：" + e.message;
        pay.disabled = false;
      }
    };
    sheet("微信支付", [
      el("p", { class: "muted" }, description || ""),
      el("p", { class: "amount" }, `¥${amountYuan}`),
      error, pay,
      el("button", { type: "button", onclick: () => { closeSheet(); reject(new Error("已取消支付")); } }, "取消"),
    ], () => reject(new Error("已取消支付")));
  });
}

async function decodePicture(file) {
  const bitmap = await createImageBitmap(file);
  for (const width of [bitmap.width, 1600, 1000]) {  // a phone photo of paper: try the full size, then smaller
    const scale = Math.min(1, width / bitmap.width);
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const found = window.jsQR(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
    if (found) return found.data;
  }
  return null;
}

// wx.scanCode: the camera when the browser has one (frames decoded as they come), else a picture of the code.
export function scanCode() {
  return new Promise((resolve, reject) => {
    let stream = null;
    const stop = () => { if (stream) stream.getTracks().forEach((t) => t.stop()); stream = null; };
    const done = (text) => { stop(); closeSheet(); resolve({ result: text, scanType: "QR_CODE", errMsg: "scanCode:ok" }); };
    const error = el("p", { class: "error", role: "alert" });
    const file = el("input", { type: "file", accept: "image/*", capture: "environment", id: "scan-file",
                               class: "sr-only" });
    file.onchange = async () => {
      error.textContent = "";
      const text = file.files[0] ? await decodePicture(file.files[0]).catch(() => null) : null;
      if (text) done(text); else error.textContent = "没有识别到二维码，请对准二维码再拍一张";
    };
    const video = el("video", { muted: true, playsinline: true, hidden: true, "aria-label": "摄像头画面" });
    sheet("扫一扫", [
      video,
      el("label", { class: "picker" }, file, el("strong", {}, "拍照识别二维码"),
         el("span", { class: "muted" }, "或从相册选择一张含二维码的图片")), error,
      el("button", { type: "button", onclick: () => { stop(); closeSheet(); reject(new Error("已取消扫码")); } }, "取消"),
    ], () => { stop(); reject(new Error("已取消扫码")); });
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then((s) => {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        video.play();
        const canvas = document.createElement("canvas");
        const tick = () => {
          if (!stream || !document.body.contains(video)) return;
          if (video.readyState >= 2) {
            canvas.width = video.videoWidth;
            canvas.height = video.videoHeight;
            const ctx = canvas.getContext("2d", { willReadFrequently: true });
            ctx.drawImage(video, 0, 0);
            const found = window.jsQR(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width,
                                      canvas.height);
            if (found) { done(found.data); return; }
          }
          requestAnimationFrame(tick);
        };
        tick();
      }).catch(() => {});  // no camera (or refused): the picture does it
    }
  });
}

// wx.downloadFile: the file fetched (with the token where the API asks for one) into a local blob URL.
export async function downloadFile(url, token) {
  const answer = await fetch(url, { headers: token ? { Authorization: "Bearer " + token } : {} });
  if (!answer.ok) throw new Error(`下载失败（${answer.status}）`);
  const blob = await answer.blob();
  return { tempFilePath: URL.createObjectURL(blob), size: blob.size, type: blob.type, statusCode: answer.status };
}

export async function phoneMessages(openid) {
  return sim("_mock/messages?touser=" + encodeURIComponent(openid));
}
