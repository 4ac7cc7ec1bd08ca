// Opportunity board: drag a card onto another stage. The drop only fills in the card's own
// "Move to" form and submits it (htmx), so dragging and the keyboard take the same road and
// the server decides; the card moves when the board comes back. A refused move (409: someone
// saved the opportunity meanwhile) still swaps the board in, with the card where it is now.
(() => {
  let dragged = null;

  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest?.("[data-board][data-editable] .board-card");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    card.classList.add("board-card-dragging");
  });

  document.addEventListener("dragend", () => {
    dragged?.classList.remove("board-card-dragging");
    document.querySelectorAll(".board-drop-target").forEach((el) => el.classList.remove("board-drop-target"));
    dragged = null;
  });

  function columnAt(event) {
    return dragged ? event.target.closest?.("[data-board] .board-column") : null;
  }

  document.addEventListener("dragover", (event) => {
    const column = columnAt(event);
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("board-drop-target");
  });

  document.addEventListener("dragleave", (event) => {
    const column = columnAt(event);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("board-drop-target");
  });

  document.addEventListener("drop", (event) => {
    const column = columnAt(event);
    if (!column) return;
    event.preventDefault();
    const form = dragged.querySelector("[data-move-form]");
    const select = form.querySelector("select[name=stage]");
    if (select.value === column.dataset.stage) return;
    select.value = column.dataset.stage;
    form.requestSubmit();
  });

  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr.status === 409 && event.detail.target?.id === "board") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Keep the keyboard where it was: on the moved card's "Move to" field.
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target?.id !== "board" && !event.detail.elt?.matches?.("#board")) return;
    document.querySelector("#board [data-moved] select")?.focus();
  });
})();
