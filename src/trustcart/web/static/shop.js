// trustcart: the person's key in the browser, and signing what the server presents.
//
// The key is an Ed25519 pair made with WebCrypto, its private half non-extractable, kept in
// IndexedDB ("trustcart" / "keys" / "person"): script cannot read its bytes, and the server
// only ever receives the public JWK. Every signature is over the text shown in the page:
// BASE64URL(header) "." BASE64URL(payload), of #sign-header and #sign-payload. The server
// refuses a signature over any other bytes, and checks it with the key registered here.
// No inline script anywhere: this file is loaded with <script src type="module">.

const DB_NAME = "trustcart";
const STORE = "keys";
const KEY_ID = "person";
const POLL_MS = 200;

function csrfToken() {
  const headers = document.body.getAttribute("hx-headers");
  return headers ? JSON.parse(headers)["X-CSRF-Token"] : "";
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify(body || {}),
  });
  let answer = {};
  try { answer = await response.json(); } catch (e) { answer = {}; }
  return { ok: response.ok, status: response.status, answer };
}

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function stored(mode, action) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const request = action(db.transaction(STORE, mode).objectStore(STORE));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function personKey() {
  let pair = await stored("readonly", (s) => s.get(KEY_ID));
  if (!pair) {
    pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    await stored("readwrite", (s) => s.put(pair, KEY_ID));
  }
  return pair;
}

function b64url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function say(element, text) {
  if (element) element.textContent = text;
}

async function ensureRegistered(status) {
  const pair = await personKey();
  const known = await (await fetch("/shop/key", { credentials: "same-origin" })).json();
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const answer = await post("/shop/key", { jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } });
  if (!answer.ok) {
    say(status, status.dataset.failed + " (" + answer.answer.code + ")");
    status.dataset.state = "failed";
    return false;
  }
  say(status, status.dataset.ready + " " + answer.answer.kid);
  status.dataset.state = "ready";
  status.dataset.kid = answer.answer.kid;
  if (!known.kid && status.dataset.registered === "false") location.reload();
  return true;
}

async function signShown(panel, requestId) {
  const header = document.getElementById("sign-header").textContent;
  const payload = document.getElementById("sign-payload").textContent;
  const encoder = new TextEncoder();
  const input = b64url(encoder.encode(header)) + "." + b64url(encoder.encode(payload));
  const pair = await personKey();
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, encoder.encode(input));
  const answer = await post("/shop/signing", {
    request_id: requestId, signing_input: input, signature: b64url(new Uint8Array(signature)),
  });
  const message = document.getElementById("sign-message");
  if (!answer.ok) {
    panel.dataset.state = "refused";
    say(message, panel.dataset.refused + " (" + answer.answer.code + ")");
    message.setAttribute("role", "alert");
  } else {
    say(message, panel.dataset.accepted);
  }
}

function show(panel, pending) {
  panel.hidden = false;
  panel.dataset.state = "awaiting";
  panel.dataset.request = pending.request_id;
  panel.dataset.kind = pending.kind;
  const rows = document.getElementById("sign-summary");
  rows.replaceChildren();
  for (const row of pending.summary) {
    const wrap = document.createElement("div");
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = row.label;
    dd.textContent = row.value;
    wrap.append(dt, dd);
    rows.append(wrap);
  }
  say(document.getElementById("sign-header"), pending.header);
  say(document.getElementById("sign-payload"), pending.payload);
  say(document.getElementById("sign-message"), "");
  document.getElementById("sign-button").disabled = false;
  document.getElementById("sign-button").focus();
}

async function follow(panel) {
  panel.hidden = false;
  panel.dataset.state = "working";
  for (;;) {
    const status = await (await fetch("/shop/signing", { credentials: "same-origin" })).json();
    if (status.pending && status.pending.request_id !== panel.dataset.request) {
      show(panel, status.pending);
    } else if (!status.pending && status.job && status.job.state !== "running") {
      panel.dataset.state = "finished";
      location.assign(status.job.next || location.pathname);
      return;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function wire(panel) {
  const button = document.getElementById("sign-button");
  button.addEventListener("click", async () => {
    button.disabled = true;
    await signShown(panel, panel.dataset.request);
  });
  document.getElementById("decline-button").addEventListener("click", async () => {
    button.disabled = true;
    await post("/shop/signing/decline", { request_id: panel.dataset.request });
  });
  const approve = document.getElementById("approve");
  if (approve) {
    approve.addEventListener("click", async () => {
      approve.disabled = true;
      const started = await post("/chat/approve");
      if (started.ok) follow(panel);
      else say(document.getElementById("sign-message"), started.answer.code);
    });
  }
  for (const form of document.querySelectorAll("form[data-revoke]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const started = await post(form.action);
      if (started.ok) follow(panel);
      else say(document.getElementById("sign-message"), started.answer.code);
    });
  }
}

async function main() {
  const status = document.getElementById("key-status");
  if (!status) return;
  if (!window.crypto || !crypto.subtle || !window.indexedDB) {
    say(status, status.dataset.unsupported);
    status.dataset.state = "unsupported";
    return;
  }
  try {
    if (!(await ensureRegistered(status))) return;
  } catch (e) {
    say(status, status.dataset.unsupported + " " + e);
    status.dataset.state = "unsupported";
    return;
  }
  const panel = document.getElementById("signing");
  if (panel) {
    wire(panel);
    const status2 = await (await fetch("/shop/signing", { credentials: "same-origin" })).json();
    if (status2.pending || (status2.job && status2.job.state === "running")) follow(panel);
  }
}

main();
