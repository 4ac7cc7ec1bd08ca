// Small progressive enhancements; every form also works without JavaScript (a people picker
// then keeps its current choice: choosing someone else needs the search below).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (!field.matches("select[data-autosubmit]")) return;
  // The language form goes back to the page as it is now: htmx may have changed its address
  // (filters pushed to the URL) since the form was drawn.
  const next = field.form.querySelector('input[name="next"]');
  if (next) next.value = window.location.pathname + window.location.search;
  field.form.requestSubmit();
});

// Quick log: "Add another next step" clones the last row and bumps the formset counter.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-add-next-step]");
  if (!button) return;
  const form = button.closest("form");
  const total = form.querySelector('input[name$="-TOTAL_FORMS"]');
  const rows = form.querySelectorAll(".next-step-row");
  const last = rows[rows.length - 1];
  const index = Number(total.value);
  const clone = last.cloneNode(true);
  clone.querySelectorAll("[name], [id], label[for]").forEach((element) => {
    for (const attribute of ["name", "id", "for"]) {
      const value = element.getAttribute(attribute);
      if (value) element.setAttribute(attribute, value.replace(/-\d+-/, `-${index}-`));
    }
    if (element.matches("input[type=text], input:not([type])")) element.value = "";
  });
  clone.querySelectorAll(".invalid-feedback, .text-danger").forEach((element) => element.remove());
  last.after(clone);
  total.value = index + 1;
  clone.querySelector("input")?.focus();
});

// Bars whose width is data (objective progress): set through the CSSOM, which the
// Content-Security-Policy allows, instead of an inline style attribute, which it forbids.
function applyProgressWidths(root) {
  root.querySelectorAll("[data-progress]").forEach((bar) => {
    const value = Math.max(0, Math.min(100, Number(bar.dataset.progress) || 0));
    bar.style.width = `${value}%`;
  });
}
document.addEventListener("DOMContentLoaded", () => applyProgressWidths(document));
document.addEventListener("htmx:load", (event) => applyProgressWidths(event.target));

// Tables wider than the screen scroll sideways inside their box. A box that scrolls takes the
// keyboard focus so the arrow keys scroll it too (WCAG 2.1.1); one that fits stays out of the
// tab order.
function markScrollers() {
  document.querySelectorAll(".table-responsive, .prep-pack .prep-section").forEach((box) => {
    if (box.scrollWidth > box.clientWidth) box.tabIndex = 0;
    else box.removeAttribute("tabindex");
  });
}
document.addEventListener("DOMContentLoaded", markScrollers);
document.addEventListener("htmx:load", markScrollers);
window.addEventListener("resize", markScrollers);

// Character counters: a field with data-char-limit gets "count/limit" under it as it is typed
// (the element data-counter-for names it; past the limit it says what the server will do with
// the rest), and a polite live region reads the count out once typing pauses.
const counterPauses = new WeakMap();
function countCharacters(field, announce) {
  const counter = document.querySelector(`[data-counter-for="${field.id}"]`);
  if (!counter) return;
  const limit = Number(field.dataset.charLimit);
  const count = [...field.value].length;
  const template = count > limit ? counter.dataset.overText : counter.dataset.text;
  const text = template.replace("{count}", count).replace("{max}", limit);
  counter.textContent = text;
  counter.hidden = false;
  counter.classList.toggle("text-danger", count > limit);
  const live = document.querySelector(`[data-counter-live="${field.id}"]`);
  if (!announce || !live) return;
  clearTimeout(counterPauses.get(field));
  counterPauses.set(field, setTimeout(() => { live.textContent = text; }, 1000));
}
function initCounters(root) {
  root.querySelectorAll("[data-char-limit]").forEach((field) => countCharacters(field, false));
}
document.addEventListener("input", (event) => {
  if (event.target.matches("[data-char-limit]")) countCharacters(event.target, true);
});
document.addEventListener("DOMContentLoaded", () => initCounters(document));
document.addEventListener("htmx:load", (event) => initCounters(event.target));

// Timeline: notes longer than a few lines show their start with "Show more"; the button
// (aria-expanded, aria-controls) opens and closes them. Without JavaScript they show in full.
function collapseNotes(root) {
  root.querySelectorAll("[data-collapsible-notes]:not([data-collapse-ready])").forEach((notes) => {
    notes.dataset.collapseReady = "";
    notes.classList.add("notes-collapsed");
    if (notes.scrollHeight <= notes.clientHeight + 1) {
      notes.classList.remove("notes-collapsed");  // fits in the clamped lines: nothing to hide
      return;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-link btn-sm p-0 notes-toggle";
    button.setAttribute("aria-controls", notes.id);
    button.setAttribute("aria-expanded", "false");
    button.textContent = notes.dataset.more;
    notes.after(button);
  });
}
document.addEventListener("click", (event) => {
  const button = event.target.closest(".notes-toggle");
  if (!button) return;
  const notes = document.getElementById(button.getAttribute("aria-controls"));
  const expanded = button.getAttribute("aria-expanded") === "true";
  notes.classList.toggle("notes-collapsed", expanded);
  button.setAttribute("aria-expanded", String(!expanded));
  button.textContent = expanded ? notes.dataset.more : notes.dataset.less;
});
document.addEventListener("DOMContentLoaded", () => collapseNotes(document));
document.addEventListener("htmx:load", (event) => collapseNotes(event.target));
// Lists with row checkboxes (the accounts list's bulk actions): "select all on this page".
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!box.matches("input[type=checkbox][data-select-all]")) return;
  box.closest("form").querySelectorAll("tbody input[type=checkbox]").forEach((row) => {
    row.checked = box.checked;
  });
});

// The phone's "Log interaction" button (base.html): on a page with the quick log folded in
// (the account overview) it opens it in place; elsewhere it is a link to the log page.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-quick-log-open]");
  const panel = document.getElementById("quick-log-panel");
  if (!button || !panel) return;
  event.preventDefault();
  panel.open = true;
  panel.scrollIntoView({ block: "start" });
  panel.querySelector("form select, form input:not([type=hidden]), form textarea")?.focus();
});

// An htmx request that failed left the page as it was: an error answer htmx does not swap
// (every one but 422, which carries the form's errors: the htmx-config of base.html; the
// opportunity board swaps its 409 itself) or no answer at all. A form's request (a save, a
// filter) says so in the messages region, in the page's language (partials/messages.html),
// instead of a click with no visible result; the form keeps what was typed. A background read
// (polling, the search palette) tries again by itself and says nothing.
function showRequestError(event, key) {
  const region = document.getElementById("messages");
  const fromForm = event.detail.elt?.closest?.("form");
  if (!region || (event.detail.requestConfig?.verb === "get" && !fromForm)) return;
  // A body over the server's limit (413): what to do about it, not just that it failed.
  if (event.detail.xhr?.status === 413) key = "requestTooLarge";
  const text = region.dataset[key]?.replace("{status}", String(event.detail.xhr?.status));
  if (!text) return;
  const shown = [...region.querySelectorAll(".alert")].some((alert) => alert.textContent === text);
  if (shown) return;
  const alert = document.createElement("div");
  alert.className = "alert alert-danger alert-dismissible fade show";
  alert.setAttribute("role", "alert");
  alert.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "btn-close";
  close.dataset.bsDismiss = "alert";
  close.setAttribute("aria-label", region.dataset.closeLabel || "");
  alert.append(close);
  region.append(alert);
}
document.addEventListener("htmx:responseError", (event) => showRequestError(event, "requestFailed"));
document.addEventListener("htmx:sendError", (event) => showRequestError(event, "requestUnreachable"));

// People pickers (kam/people.py): a select of people holds only the people chosen; Tom Select
// turns it into a search box that asks the server (data-people, the scope's search) for the
// names that match what is typed, the first ones by name as soon as it opens. The select keeps
// the value, so the form, its htmx triggers and its validation are unchanged.
function initPeoplePickers(root) {
  if (typeof TomSelect === "undefined") return;
  root.querySelectorAll("select[data-people]").forEach((select) => {
    if (select.tomselect) return;
    const hasEmpty = !select.multiple && select.querySelector('option[value=""]') !== null;
    let request = null; // the search under way: a newer one cancels it
    let failed = false; // the last search had no answer (the server, the network, a session gone)
    let found = new Set(); // the people the last search answered, by value
    let answered = null; // the text that search was for
    new TomSelect(select, {
      valueField: "value",
      labelField: "text",
      searchField: [],
      // The server matched the name or the e-mail: while a name is typed, the list is what it
      // sent for that text (not the person chosen before, nor the option of nobody, above the
      // matches, where Enter would take them; nor, while the search for what was just typed is
      // under way, the people an earlier text found); with nothing typed, the option of nobody
      // comes first.
      score: (search) => (item) => {
        if (!search.trim()) return item.value === "" ? 2 : 1;
        if (search !== answered) return 0;
        return found.has(String(item.value)) ? 1 : 0;
      },
      sortField: [{ field: "$score" }, { field: "$order" }],
      maxOptions: null,
      closeAfterSelect: true,
      preload: "focus",
      // The list follows each key at once (an earlier search's people leave it, the search
      // under way shows); the server is asked once the typing pauses.
      refreshThrottle: 0,
      loadThrottle: 250,
      allowEmptyOption: hasEmpty,
      plugins: select.multiple
        ? { remove_button: { title: select.dataset.peopleRemove } }
        : hasEmpty ? { clear_button: { title: select.dataset.peopleClear } } : {},
      shouldLoad: () => true,
      load(query, callback) {
        const picker = this;
        request?.abort();
        request = new AbortController();
        fetch(`${select.dataset.people}?q=${encodeURIComponent(query)}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: request.signal,
        })
          .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
          .then((data) => {
            failed = false;
            found = new Set(data.results.map((person) => String(person.value)));
            answered = query;
            showResults(picker, Boolean(data.more), false);
            callback(data.results);
          })
          .catch((error) => {
            if (error?.name === "AbortError") return callback(); // a newer search took over
            // No answer is not "no one": the list says the search failed, and shows no one
            // from the search before as if they matched this one.
            failed = true;
            found = new Set();
            answered = query;
            showResults(picker, false, true);
            callback();
          });
      },
      render: {
        loading: (data, escape) =>
          `<div class="searching" role="status"><span class="spinner-border spinner-border-sm me-2" aria-hidden="true"></span>${escape(select.dataset.peopleSearching)}</div>`,
        no_results: (data, escape) =>
          `<div class="no-results">${escape(failed ? select.dataset.peopleFailed : select.dataset.peopleEmpty)}</div>`,
      },
      onInitialize() {
        this.dropdown_content.dataset.moreText = select.dataset.peopleMore;
        this.dropdown_content.dataset.failedText = select.dataset.peopleFailed;
        // The search box's own change (a name typed, then left without choosing anyone) is
        // not a change of the form: only the select's is. A form that sends itself on change
        // (the accounts list) would otherwise reload as it was, back on its first page.
        this.control_input.addEventListener("change", (event) => event.stopPropagation());
        // The search box is the field now (the label names it); the select only carries the
        // value, out of sight and out of the accessibility tree.
        select.setAttribute("aria-hidden", "true");
      },
    });
  });
}

// A search's answer replaces the last one's people, but those chosen and the option of nobody;
// the end of the list says when more people match, or that the search failed.
function showResults(picker, more, failed) {
  picker.clearOptions((option, value) => value === "" || picker.items.includes(value));
  picker.dropdown_content.toggleAttribute("data-more", more);
  picker.dropdown_content.toggleAttribute("data-failed", failed);
}

// A page with a picker whose address htmx changes (the accounts list, the dashboard) sets
// hx-history="false": back and forward ask the server for it, and its pickers are made on
// htmx:load like any content htmx brings. htmx's own copy of a page would hold dead pickers.
document.addEventListener("DOMContentLoaded", () => initPeoplePickers(document));
document.addEventListener("htmx:load", (event) => initPeoplePickers(event.target));
