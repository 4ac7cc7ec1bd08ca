// Small progressive enhancements; every form also works without JavaScript.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.matches("select[data-autosubmit]")) field.form.requestSubmit();
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
