// Wires the page together: chat, documents panel, theme switch and the API-key prompt.
import { apiKey, onKeyNeeded, setApiKey } from "./api.js";
import { Chat } from "./chat.js";
import { Documents } from "./documents.js";

const $ = (id) => document.getElementById(id);

const chat = new Chat({
  turns: $("turns"), form: $("ask-form"), question: $("question"), send: $("send"), empty: $("empty"),
  source: $("source"),
});
const documents = new Documents({
  panel: $("documents"), stats: $("stats"), files: $("files"), results: $("upload-results"),
  list: $("doc-list"), prev: $("prev-page"), next: $("next-page"), info: $("page-info"),
});

// The key dialog: asked for when a request gets 401, or opened from the header.
function promptForKey(reason) {
  const dialog = $("key-dialog");
  $("key-why").textContent = reason
    ? `${reason.message}. The key is kept for this browser tab only.`
    : "Enter the API key for this server. It is kept for this browser tab only.";
  $("key-input").value = apiKey();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const save = dialog.returnValue === "save" && $("key-input").value.trim();
      if (save) setApiKey($("key-input").value.trim());
      resolve(Boolean(save));
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    $("key-input").focus();
  });
}
onKeyNeeded(promptForKey);
$("set-key").addEventListener("click", async () => {
  if (await promptForKey(null) && !$("documents").hidden) documents.refresh();
});

$("new-chat").addEventListener("click", () => chat.reset());

$("toggle-docs").addEventListener("click", () => {
  const panel = $("documents");
  panel.hidden = !panel.hidden;
  $("toggle-docs").setAttribute("aria-expanded", String(!panel.hidden));
  if (!panel.hidden) {
    documents.refresh();
    $("files").focus();
  }
});

// Theme: auto (follows the system) → light → dark → auto.
const THEMES = ["auto", "light", "dark"];
function showTheme() {
  const theme = document.documentElement.dataset.theme || "auto";
  $("toggle-theme").textContent = `Theme: ${theme}`;
  $("toggle-theme").setAttribute("aria-label", `Colour theme: ${theme === "auto" ? "automatic" : theme}`);
}
$("toggle-theme").addEventListener("click", () => {
  const current = document.documentElement.dataset.theme || "auto";
  const next = THEMES[(THEMES.indexOf(current) + 1) % THEMES.length];
  if (next === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = next;
  try {
    if (next === "auto") localStorage.removeItem("rag-theme");
    else localStorage.setItem("rag-theme", next);
  } catch (e) { /* storage disabled: the choice lasts for this page */ }
  showTheme();
});
showTheme();
document.body.dataset.ready = "true";
