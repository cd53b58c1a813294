// CRM page behaviour: keyboard shortcuts, clickable table rows, the phone-number rows of the
// contact form, and confirmations. Progressive: every page works without it.
(function () {
  "use strict";

  function typingInField(target) {
    return target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    // "/" jumps to the search box, as in most web apps.
    if (event.key === "/" && !typingInField(event.target) && !event.ctrlKey && !event.metaKey) {
      const box = document.querySelector("[data-search-box]");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
    }
    // Ctrl+Enter (Cmd+Enter) saves the form being typed in.
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      const form = event.target.closest && event.target.closest("form");
      if (form) { event.preventDefault(); form.requestSubmit(); }
    }
    // Escape clears the search box.
    if (event.key === "Escape" && event.target.matches("[data-search-box]") && event.target.value) {
      event.target.value = "";
      event.target.dispatchEvent(new Event("search", { bubbles: true }));
    }
  });

  // A click anywhere on a row opens it (its first link is the keyboard way).
  document.addEventListener("click", function (event) {
    const row = event.target.closest("tr[data-href]");
    if (!row || event.target.closest("a, button, input, select, label")) return;
    if (window.getSelection && String(window.getSelection())) return;
    if (event.ctrlKey || event.metaKey) { window.open(row.dataset.href, "_blank"); return; }
    window.location.href = row.dataset.href;
  });

  document.addEventListener("click", function (event) {
    const add = event.target.closest("[data-add-phone]");
    if (add) {
      const form = add.closest("form");
      const total = form.querySelector("input[name$='-TOTAL_FORMS']");
      const max = form.querySelector("input[name$='-MAX_NUM_FORMS']");
      const index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) { add.disabled = true; return; }
      const template = document.getElementById("phone-row-template");
      const holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
      const row = holder.firstElementChild;
      document.getElementById("phone-rows").appendChild(row);
      total.value = String(index + 1);
      if (window.htmx) window.htmx.process(row);
      row.querySelector("input").focus();
      return;
    }
    const remove = event.target.closest("[data-remove-phone]");
    if (remove) {
      // Blank numbers are ignored on save, so a removed row is emptied and hidden: the
      // formset's numbering stays intact.
      const row = remove.closest("[data-phone-row]");
      row.querySelector("input[type='tel']").value = "";
      row.hidden = true;
      const next = row.parentElement.querySelector("[data-phone-row]:not([hidden]) input[type='tel']");
      if (next) next.focus();
    }
  });

  // Export what the list shows now: the search box updates the address as the person types.
  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[data-export-filtered]");
    if (!link) return;
    const query = new URLSearchParams(window.location.search);
    query.delete("page");
    const url = new URL(link.href, window.location.href);
    url.search = query.toString();
    link.href = url.toString();
  });

  document.addEventListener("submit", function (event) {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // A request htmx sent in the background failed (htmx swaps nothing then): say so, once.
  function requestFailed(text) {
    const box = document.getElementById("live-notices");
    if (!box) return;
    let item = document.getElementById("request-failed");
    if (!item) {
      item = document.createElement("div");
      item.id = "request-failed";
      item.className = "msg msg-error";
      item.setAttribute("role", "alert");
      box.appendChild(item);
    }
    item.textContent = text;
  }
  document.addEventListener("htmx:responseError", function (event) {
    const status = event.detail.xhr.status;
    requestFailed(status === 403
      ? "Not saved: this page is out of date or not allowed for you. Reload the page and try again."
      : status === 404
        ? "Not found: it may have been deleted. Reload the page."
        : "Callboard could not finish that (error " + status + "). Try again in a moment.");
  });
  document.addEventListener("htmx:sendError", function () {
    requestFailed("Callboard did not answer: check your connection and try again.");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const item = document.getElementById("request-failed");
    if (item && event.detail.successful) item.remove();
  });

  // Signed out meanwhile (another tab, an expired session): a background request was sent to
  // the sign-in page. Go there with this page to come back to, rather than swap it in.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const login = document.body.dataset.loginUrl;
    const answered = event.detail.xhr.responseURL;
    if (!login || !answered || new URL(answered).pathname !== login) return;
    event.detail.shouldSwap = false;
    window.location.href = login + "?next=" + encodeURIComponent(location.pathname + location.search);
  });

  // After a note is saved, put the cursor back in the note box.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "activity") {
      const box = document.getElementById("note-body");
      if (box) box.focus();
    }
  });
})();
