// Lists: "select all on this page" and the count of ticked rows for the bulk actions.
(function () {
  function update(form) {
    const boxes = form.querySelectorAll(`input[name="${form.dataset.bulk || "invoice"}"]`);
    const ticked = Array.from(boxes).filter((box) => box.checked).length;
    const count = form.querySelector("[data-bulk-count]");
    if (count) count.textContent = ticked ? `${ticked} selected` : "None selected";
    form.querySelectorAll("[data-needs-selection]").forEach((button) => {
      button.disabled = ticked === 0;
    });
    const all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = ticked > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  }
  function setUp(root) {
    root.querySelectorAll("form[data-bulk]").forEach((form) => {
      if (form.dataset.bulkReady) return;
      form.dataset.bulkReady = "1";
      form.addEventListener("change", (event) => {
        if (event.target.matches("[data-select-all]")) {
          const name = form.dataset.bulk || "invoice";
          form.querySelectorAll(`input[name="${name}"]`).forEach((box) => {
            box.checked = event.target.checked;
          });
        }
        update(form);
      });
      update(form);
    });
  }
  document.addEventListener("DOMContentLoaded", () => setUp(document));
  document.addEventListener("htmx:load", (event) => setUp(event.target));
})();
