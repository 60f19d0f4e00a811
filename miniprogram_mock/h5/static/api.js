// The public API, called as the mini-program calls it (wx.request): the token in Authorization, Chinese answers,
// the JSON error envelope's message shown as it is (the API writes it for citizens).
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

export const session = {
  get token() { return sessionStorage.getItem("h5.token"); },
  get openid() { return sessionStorage.getItem("h5.openid"); },
  get user() { return JSON.parse(sessionStorage.getItem("h5.user") || "null"); },
  save(token, openid, user) {
    sessionStorage.setItem("h5.token", token);
    sessionStorage.setItem("h5.openid", openid);
    sessionStorage.setItem("h5.user", JSON.stringify(user));
  },
  clear() { ["h5.token", "h5.openid", "h5.user"].forEach((k) => sessionStorage.removeItem(k)); },
};

let base = "";
export function useApi(url) { base = url.replace(/\/$/, ""); }
export function apiBase() { return base; }

export async function api(path, { method = "GET", json, form, headers = {}, auth = true } = {}) {
  const h = { "Accept-Language": "zh-CN", ...headers };
  if (auth && session.token) h.Authorization = "Bearer " + session.token;
  let body;
  if (json !== undefined) { h["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  if (form !== undefined) body = form;
  let answer;
  try {
    answer = await fetch(base + path, { method, headers: h, body });
  } catch (e) {
    throw new ApiError(0, "NETWORK", "网络不通，请稍后再试");
  }
  if (answer.status === 204) return null;
  const data = await answer.json().catch(() => null);
  if (!answer.ok) {
    const error = (data && data.error) || {};
    if (answer.status === 401 && auth) session.clear();
    throw new ApiError(answer.status, error.code || "HTTP_" + answer.status, error.message || `请求失败（${answer.status}）`,
                       error.details);
  }
  return data;
}
