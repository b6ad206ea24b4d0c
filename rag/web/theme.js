// Runs in <head>, before the page paints, so a chosen theme never flashes the other one.
(function () {
  var stored = null;
  try { stored = localStorage.getItem("rag-theme"); } catch (e) { /* storage may be disabled */ }
  if (stored === "light" || stored === "dark") document.documentElement.dataset.theme = stored;
})();
