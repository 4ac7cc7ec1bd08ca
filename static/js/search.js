// The global search palette (Ctrl/⌘-K or "/") and the keyboard shortcuts, listed on the "?"
// help (templates/partials/search_palette.html). Without JavaScript the top bar's search
// box submits to the full results page (/search/?q=).
(() => {
  const palette = () => document.getElementById("search-palette");
  const help = () => document.getElementById("shortcuts-help");
  const input = () => document.getElementById("search-palette-input");
  const listbox = () => document.getElementById("search-palette-listbox");
  const options = () => Array.from(listbox()?.querySelectorAll('[role="option"]') || []);

  function openPalette(text) {
    const dialog = palette();
    if (!dialog) return;
    if (!dialog.open) {
      help()?.open && help().close();
      dialog.showModal();
    }
    const field = input();
    if (typeof text === "string" && text !== field.value) {
      field.value = text;
      field.dispatchEvent(new Event("input", { bubbles: true }));
    }
    field.focus();
    if (typeof text !== "string") field.select();
  }

  function select(option) {
    for (const each of options()) each.setAttribute("aria-selected", each === option ? "true" : "false");
    const field = input();
    if (option) {
      field.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      field.removeAttribute("aria-activedescendant");
    }
  }

  function move(step) {
    const all = options();
    if (!all.length) return;
    const current = all.findIndex((option) => option.getAttribute("aria-selected") === "true");
    const next = current < 0 ? (step > 0 ? 0 : all.length - 1) : (current + step + all.length) % all.length;
    select(all[next]);
  }

  // New results: show the list when there is something in it and preselect the best hit, so
  // Enter opens it.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== listbox()) return;
    const all = options();
    listbox().hidden = all.length === 0;
    input().setAttribute("aria-expanded", all.length ? "true" : "false");
    select(all[0]);
  });

  document.addEventListener("keydown", (event) => {
    if (event.target !== input()) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      const chosen = options().find((option) => option.getAttribute("aria-selected") === "true");
      if (chosen) {
        event.preventDefault();
        window.location.assign(chosen.href);
      }
      // Otherwise the form submits: the full results page.
    }
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-search-open]")) {
      event.preventDefault();
      openPalette(event.target.closest("[data-search-open]").value);
    }
  });
  // Typing in the top bar's box moves to the palette with what was typed.
  document.addEventListener("input", (event) => {
    if (event.target.matches("[data-search-open]")) {
      const text = event.target.value;
      event.target.value = "";
      openPalette(text);
    }
  });

  // Shortcuts: never while typing in a field, never with Alt, Ctrl or ⌘ (but Ctrl/⌘-K).
  const typing = (element) =>
    element instanceof HTMLElement &&
    (element.isContentEditable || element.closest("input, textarea, select, [contenteditable]") !== null);
  const shortcutLink = (keys) => help()?.querySelector(`[data-shortcut="${keys}"]`);
  let pendingG = null;

  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
      if (!palette()) return;
      event.preventDefault();
      openPalette();
      return;
    }
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    if (pendingG !== null) {
      clearTimeout(pendingG);
      pendingG = null;
      const link = shortcutLink(`g ${event.key}`);
      if (link) {
        event.preventDefault();
        window.location.assign(link.href);
      }
      return;
    }
    if (event.key === "/") {
      event.preventDefault();
      openPalette();
    } else if (event.key === "?") {
      event.preventDefault();
      help()?.showModal();
    } else if (event.key === "g") {
      pendingG = setTimeout(() => {
        pendingG = null;
      }, 1500);
    } else if (shortcutLink(event.key)) {
      event.preventDefault();
      window.location.assign(shortcutLink(event.key).href);
    }
  });
})();
