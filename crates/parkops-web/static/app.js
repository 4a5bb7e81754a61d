// ParkOps page helpers: inline validation, confirmations, progress on long actions.
// Progressive enhancement only — every form works without script; the server validates.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-validate]")) {
    form.setAttribute("novalidate", "");
    const check = (input) => {
      const label = input.closest(".field");
      let ok = input.checkValidity();
      const same = input.dataset.same && form.elements[input.dataset.same];
      if (ok && same) ok = input.value === same.value;
      let msg = label && label.querySelector("em.msg.js");
      if (!ok && label) {
        if (!msg) { msg = document.createElement("em"); msg.className = "msg js"; label.appendChild(msg); }
        msg.textContent = input.dataset.msg || input.validationMessage;
        label.classList.add("bad");
      } else if (label && msg) {
        msg.remove();
        if (!label.querySelector("em.msg")) label.classList.remove("bad");
      }
      return ok;
    };
    for (const input of form.querySelectorAll("input, select, textarea")) {
      input.addEventListener("blur", () => check(input));
    }
    form.addEventListener("submit", (e) => {
      let ok = true;
      for (const input of form.querySelectorAll("input, select, textarea")) ok = check(input) && ok;
      if (!ok) { e.preventDefault(); const bad = form.querySelector(".bad input, .bad select, .bad textarea"); if (bad) bad.focus(); }
    });
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (e) => { if (!window.confirm(form.dataset.confirm)) e.preventDefault(); });
  }
  for (const form of document.querySelectorAll("form[data-progress]")) {
    form.addEventListener("submit", () => {
      const b = form.querySelector("button");
      if (b) { b.disabled = true; b.textContent = form.dataset.progress; }
    });
  }
});
