"""The two pages `digits serve` sends: the live view, and the token form when a token is set.

Their script and style are inline, and allowed by hash in the Content-Security-Policy: the
browser runs nothing else, loads nothing from elsewhere, and no other site may frame them.
"""

from __future__ import annotations

import base64
import hashlib

STYLE = """
  body { margin: 0; background: #111; color: #eee; font: 16px/1.4 system-ui, sans-serif;
         display: flex; flex-wrap: wrap; align-items: flex-start; }
  #view { display: block; max-width: 100%; background: #000; }
  aside, form { padding: 12px 20px; min-width: 14em; }
  #numbers { font-size: 2.4em; font-weight: 600; margin: 0.2em 0; word-break: break-all; }
  #status.lost, #status.failed, #skipped { color: #ff5a4f; font-weight: 600; }
  .dim { color: #999; }
"""

SCRIPT = """
const $ = (id) => document.getElementById(id);
const shown = (n) => (typeof n === "object" && n !== null)
  ? (n.text ?? n.value ?? JSON.stringify(n)) : String(n);
async function poll() {
  try {
    const r = await fetch("/api/latest", {cache: "no-store"});
    if (r.status === 401) { location.reload(); return; }
    const j = await r.json();
    const cam = j.camera || {};
    const state = cam.state || "starting";
    $("status").textContent = state === "lost" ? "camera lost - retrying" : state === "live" ? "live" : state;
    $("status").className = state === "live" ? "dim" : state;
    const numbers = j.numbers || [];
    $("numbers").textContent = numbers.length ? numbers.map(shown).join("  ") : "-";
    $("fps").textContent = (cam.fps ?? 0).toFixed(1);
    $("detail").textContent = (cam.detail || "") + (cam.viewers ? "  viewers: " + cam.viewers : "");
    const skipped = cam.skipped || [];
    $("skipped").textContent = skipped.length
      ? "skipped: " + skipped.map((s) => s.name + " (" + s.reason + ")").join(", ") : "";
  } catch (e) {
    $("status").textContent = "server unreachable";
    $("status").className = "lost";
  }
  setTimeout(poll, 500);
}
poll();
"""

LOGIN_SCRIPT = """
document.getElementById("login").addEventListener("submit", (e) => {
  e.preventDefault();
  const token = document.getElementById("token").value;
  document.cookie = "digits_token=" + encodeURIComponent(token) + "; path=/; SameSite=Strict";
  location.reload();
});
"""


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _csp(script: str) -> str:
    return (f"default-src 'none'; img-src 'self'; connect-src 'self'; script-src {_hash(script)}; "
            f"style-src {_hash(STYLE)}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


PAGE_CSP = _csp(SCRIPT)
LOGIN_CSP = _csp(LOGIN_SCRIPT)

PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>digits</title>
<style>{STYLE}</style></head>
<body>
<img id="view" src="/stream.mjpg" alt="live view of the camera with the digits read">
<aside>
  <div id="status" class="dim">starting...</div>
  <div id="numbers">-</div>
  <div><span id="fps">-</span> <span class="dim">FPS</span></div>
  <div class="dim" id="detail"></div>
  <div id="skipped"></div>
</aside>
<script>{SCRIPT}</script>
</body></html>
"""

LOGIN = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>digits: access token</title>
<style>{STYLE}</style></head>
<body>
<form id="login">
  <p>This live view needs its access token (the --token or DIGITS_TOKEN it was started with).</p>
  <input id="token" type="password" autocomplete="current-password" autofocus>
  <button type="submit">Open</button>
</form>
<script>{LOGIN_SCRIPT}</script>
</body></html>
"""
