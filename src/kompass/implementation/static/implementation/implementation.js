// Drag and drop on the board. Every card also has a select and a "Verschieben" button (the
// keyboard and no-JavaScript way); dropping a card just fills in that form and submits it.
(function () {
  "use strict";
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-move-form]");
    if (!card) { return; }
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-move-form"));
  });
  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("is-dragging"); }
    dragged = null;
    document.querySelectorAll(".implementation-column.is-drop-target").forEach(function (column) {
      column.classList.remove("is-drop-target");
    });
  });
  document.addEventListener("dragover", function (event) {
    var column = dragged && event.target.closest && event.target.closest("[data-status]");
    if (!column) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("is-drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest("[data-status]");
    if (column && !column.contains(event.relatedTarget)) { column.classList.remove("is-drop-target"); }
  });
  document.addEventListener("drop", function (event) {
    var column = dragged && event.target.closest && event.target.closest("[data-status]");
    if (!column) { return; }
    event.preventDefault();
    var form = document.getElementById(dragged.getAttribute("data-move-form"));
    var select = form && form.querySelector("select[name=status]");
    var status = column.getAttribute("data-status");
    if (!select || select.value === status) { return; }
    select.value = status;
    form.requestSubmit();
  });
})();
