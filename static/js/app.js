// Small behaviours on top of server-rendered pages: toasts, dialogs, confirmations.
(function () {
  "use strict";

  function showToast(text, level) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (level || "info");
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    toast.textContent = text;
    box.appendChild(toast);
    setTimeout(function () { toast.classList.add("leaving"); }, 4000);
    setTimeout(function () { toast.remove(); }, 4600);
  }
  window.torqueflowToast = showToast;

  document.body.addEventListener("toasts", function (event) {
    var items = (event.detail && event.detail.items) || [];
    items.forEach(function (item) { showToast(item.text, item.level); });
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) showToast("You do not have permission to do that.", "error");
    else if (status >= 500) showToast("Something went wrong on our side. Please try again.", "error");
  });
  document.body.addEventListener("htmx:sendError", function () {
    showToast("Could not reach Torqueflow. Check your connection and try again.", "error");
  });

  // Links and buttons that open a <dialog> instead of navigating.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && dialog.showModal) {
        event.preventDefault();
        dialog.showModal();
      }
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var open = closer.closest("dialog");
      if (open) open.close();
    }
  });

  // Copy buttons: the value they carry (data-copy, a remote id), or that of the input they
  // name (data-copy-from, a payment link), which is selected too for copying by hand.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy], [data-copy-from]");
    if (!button) return;
    var text = button.getAttribute("data-copy");
    if (text === null) {
      var input = document.getElementById(button.getAttribute("data-copy-from"));
      if (!input) return;
      input.select();
      text = input.value;
    }
    var copied = function () { showToast("Copied", "success"); };
    var failed = function () { showToast("Could not copy: select the text instead", "error"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(copied, failed);
    } else if (button.hasAttribute("data-copy-from") && document.execCommand("copy")) {
      copied();
    } else {
      failed();
    }
  });

  // Forms that ask before they submit: a dialog with the form's own wording.
  var confirmDialog = null;
  function confirmFirst(message, onConfirm) {
    if (!confirmDialog) {
      confirmDialog = document.createElement("dialog");
      confirmDialog.className = "dialog";
      confirmDialog.innerHTML =
        '<p class="confirm-text"></p><div class="dialog-actions">' +
        '<button type="button" class="button" data-close-dialog>Cancel</button>' +
        '<button type="button" class="button danger" data-confirm-yes>Confirm</button></div>';
      document.body.appendChild(confirmDialog);
    }
    confirmDialog.querySelector(".confirm-text").textContent = message;
    var yes = confirmDialog.querySelector("[data-confirm-yes]");
    var fresh = yes.cloneNode(true);
    yes.replaceWith(fresh);
    fresh.addEventListener("click", function () { confirmDialog.close(); onConfirm(); });
    confirmDialog.showModal();
  }
  // The wording is the form's, or the pressed button's when the button carries its own.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var asker = submitter && submitter.matches("[data-confirm]") ? submitter : form;
    if (!asker.matches("[data-confirm]") || form.dataset.confirmed) return;
    event.preventDefault();
    confirmFirst(asker.getAttribute("data-confirm"), function () {
      form.dataset.confirmed = "1";
      if (form.requestSubmit) form.requestSubmit(submitter || undefined);
      else form.submit();
      delete form.dataset.confirmed;
    });
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });
})();

// Integrations: switches that save on change (Settings → Integrations).
(function () {
  "use strict";

  // htmx leaves 4xx answers unswapped. A form marked data-swap-on-error gets its 400 swapped
  // in anyway: the server sends the switch back in its saved state, so a refused change
  // visibly reverts (the error itself arrives as a toast).
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail.xhr || detail.xhr.status !== 400) return;
    // The form that sent the request; detail.elt is the swap target (a card, or the form).
    var source = (detail.requestConfig && detail.requestConfig.elt) || detail.elt;
    if (source && source.closest && source.closest("[data-swap-on-error]")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  // Anything else that fails (no answer, a 5xx): put the switch back as the page drew it.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful || !form || !form.matches) return;
    if (!form.matches("form[data-swap-on-error]")) return;
    form.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      box.checked = box.defaultChecked;
    });
  });
})();
