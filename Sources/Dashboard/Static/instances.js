// Keeps the instance list's status column current without reloading the page.
(function () {
  "use strict";
  const table = document.getElementById("instances");
  if (!table) return;
  async function refresh() {
    try {
      const answer = await fetch("/dashboard/instances/status", { credentials: "same-origin" });
      if (answer.status === 401) { window.location = "/dashboard/login"; return; }
      const list = (await answer.json()).instances || [];
      for (const instance of list) {
        const cell = table.querySelector('tr[data-id="' + instance.id + '"] .status');
        const text = instance.status + (instance.task ? " (" + instance.task + ")" : "");
        if (cell && cell.textContent !== text) cell.textContent = text;
      }
    } catch (error) { /* try again at the next tick */ }
  }
  setInterval(refresh, 3000);
})();
