// The instance page: the serial console in the page (term.js from Debian),
// a screenshot that keeps up, and the status and "ready" panel, live.
(function () {
  "use strict";
  const state = document.getElementById("state");
  if (!state) return;
  const id = state.dataset.id;
  const csrf = state.dataset.csrf;

  // The serial console: a one-time URL from the dashboard, then the websocket.
  const holder = document.getElementById("terminal");
  const terminalStatus = document.getElementById("terminal-status");
  let socket = null;
  async function connect() {
    if (!holder) return;
    if (typeof Terminal === "undefined") {
      terminalStatus.textContent = "The serial console needs Debian's libjs-term.js package on the Nimbus host.";
      return;
    }
    const answer = await fetch("/dashboard/instances/" + id + "/serial", {
      method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin",
    });
    const result = await answer.json().catch(function () { return {}; });
    if (!answer.ok) { terminalStatus.textContent = result.error || "The console is not available."; return; }
    const term = new Terminal({ cols: 100, rows: 30, screenKeys: true, useStyle: true, cursorBlink: true });
    term.open(holder);
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + result.path, ["binary"]);
    socket.binaryType = "arraybuffer";
    const decoder = new TextDecoder();
    socket.onopen = function () { terminalStatus.textContent = "Connected."; };
    socket.onmessage = function (message) {
      const text = typeof message.data === "string" ? message.data : decoder.decode(new Uint8Array(message.data), { stream: true });
      term.write(text);
      holder.dataset.received = (holder.dataset.received || "") + text;
    };
    socket.onclose = function () { terminalStatus.textContent = "Disconnected. Reload the page to connect again."; };
    term.on("data", function (data) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(new TextEncoder().encode(data));
    });
    holder.addEventListener("focus", function () { term.focus(); });
  }
  connect();

  // The screen, a moment ago.
  const screenshot = document.getElementById("screenshot");
  if (screenshot) {
    setInterval(function () { screenshot.src = "/dashboard/instances/" + id + "/screenshot.png?at=" + Date.now(); }, 5000);
  }

  // "Ready" once the guest's SSH or RDP answers through its floating IP.
  const ready = document.getElementById("ready");
  async function checkReady() {
    try {
      const answer = await fetch("/dashboard/instances/" + id + "/ready", { credentials: "same-origin" });
      const result = await answer.json();
      if (result.command) {
        document.getElementById("ready-command").textContent = result.command;
        document.getElementById("ready-address").textContent = result.address;
        ready.hidden = false;
      }
    } catch (error) { /* try again */ }
  }
  if (ready && ready.hidden) setInterval(checkReady, 5000);
  const copy = document.getElementById("copy-command");
  if (copy) copy.addEventListener("click", function () {
    navigator.clipboard.writeText(document.getElementById("ready-command").textContent);
    copy.textContent = "Copied";
  });

  // The status line keeps up with the instance.
  const status = document.getElementById("status");
  setInterval(async function () {
    try {
      const answer = await fetch("/dashboard/instances/status", { credentials: "same-origin" });
      const list = (await answer.json()).instances || [];
      const mine = list.find(function (instance) { return instance.id === id; });
      if (mine) status.textContent = mine.status + (mine.task ? " (" + mine.task + ")" : "");
    } catch (error) { /* try again */ }
  }, 3000);
})();
