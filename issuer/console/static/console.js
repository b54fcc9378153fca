// microcred registrar console: small progressive enhancements. Every page works without this
// script; it adds the live policy check of the programme form, extra course rows, and live
// progress while a cohort is issued. All words shown come from the page (data-msg-* attributes),
// so they are translated with the rest of the page.
"use strict";

(function () {
  const csrfToken = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- Focus the error summary so that keyboard and screen-reader users land on it. ---
  const summary = document.querySelector("[data-focus-on-load]");
  if (summary) summary.focus();

  // --- Programme form: check the institution policy while the registrar types. ---
  const form = document.querySelector("form[data-policy-check]");
  if (form) {
    const panel = form.querySelector("[data-policy-result]");
    const messages = form.dataset;
    const touched = new Set();
    let timer = null;
    let pending = null;

    const showFieldErrors = (problems) => {
      form.querySelectorAll("[data-error-for]").forEach((slot) => {
        const name = slot.dataset.errorFor;
        if (!touched.has(name)) return;
        const input = form.querySelector('[data-field="' + CSS.escape(name) + '"]');
        const own = problems.filter((p) => p.field === name).map((p) => p.message);
        slot.textContent = own.join(" ");
        if (input) {
          if (own.length) input.setAttribute("aria-invalid", "true");
          else input.removeAttribute("aria-invalid");
        }
      });
    };

    const render = (body) => {
      panel.replaceChildren();
      if (body.problems.length) {
        panel.append(element("p", "small", messages.msgFix));
        const list = element("ul", "problem-list small");
        body.problems.slice(0, 12).forEach((p) => {
          const item = element("li");
          item.append(element("strong", "", p.label + ": "), document.createTextNode(p.message));
          list.append(item);
        });
        panel.append(list);
        return;
      }
      const list = element("ul", "findings");
      if (!body.findings.length) {
        list.append(element("li", "finding finding-ok", "✓ " + messages.msgOk));
      }
      body.findings.forEach((f) => {
        const item = element("li", "finding" + (f.acknowledged ? " finding-acknowledged" : ""));
        const kind = f.acknowledged ? "badge-neutral" : f.severity === "error" ? "badge-bad" : "badge-warn";
        item.append(element("span", "badge " + kind, f.ruleLabel), document.createTextNode(" " + f.message));
        const note = f.acknowledged ? messages.msgAcknowledged : f.severity === "error" ? messages.msgHard : messages.msgSoft;
        item.append(element("div", "small muted", "(" + note + ")"));
        list.append(item);
      });
      if (body.findings.length && body.ready) {
        list.append(element("li", "finding finding-ok", "✓ " + messages.msgOk));
      }
      panel.append(list);
    };

    const check = () => {
      if (pending) pending.abort();
      pending = new AbortController();
      panel.setAttribute("aria-busy", "true");
      const data = new FormData(form);
      fetch(form.dataset.policyCheck, {
        method: "POST",
        body: data,
        headers: { "X-CSRF-Token": csrfToken(), Accept: "application/json" },
        credentials: "same-origin",
        signal: pending.signal,
      })
        .then((response) => {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then((body) => {
          showFieldErrors(body.problems);
          render(body);
        })
        .catch((error) => {
          if (error.name === "AbortError") return;
          panel.replaceChildren(element("p", "small muted", messages.msgFailed));
        })
        .finally(() => panel.removeAttribute("aria-busy"));
    };

    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(check, 400);
    };
    const touch = (event) => {
      const name = event.target.dataset && event.target.dataset.field;
      if (name) touched.add(name);
      if (event.target.name && event.target.name.startsWith("ack.")) touched.add(event.target.name.replace(/\.reason$/, "") + ".reason");
      schedule();
    };
    form.addEventListener("input", touch);
    form.addEventListener("change", touch);
    // A form shown again with errors from the server: those fields count as touched.
    form.querySelectorAll('[aria-invalid="true"][data-field]').forEach((input) => touched.add(input.dataset.field));
    check();

    // Extra course rows: copy the last row with the next index, empty.
    const addRow = form.querySelector("[data-add-course]");
    const body = form.querySelector("[data-course-table] tbody");
    if (addRow && body) {
      addRow.hidden = false;
      addRow.addEventListener("click", () => {
        const rows = body.querySelectorAll("[data-course-row]");
        const last = rows[rows.length - 1];
        const index = rows.length;
        const copy = last.cloneNode(true);
        const previous = index - 1;
        copy.querySelectorAll("input").forEach((input) => {
          input.name = input.name.replace("courses[" + previous + "]", "courses[" + index + "]");
          input.dataset.field = input.name;
          input.id = input.id.replace("f-courses-" + previous + "-", "f-courses-" + index + "-");
          input.setAttribute("aria-describedby", input.id + "-error");
          input.value = "";
          input.removeAttribute("aria-invalid");
          input.removeAttribute("title");
          input.readOnly = false;
        });
        copy.querySelectorAll("label").forEach((label) => {
          label.htmlFor = label.htmlFor.replace("f-courses-" + previous + "-", "f-courses-" + index + "-");
          label.textContent = label.textContent.replace(String(previous + 1), String(index + 1));
        });
        copy.querySelectorAll("[data-error-for]").forEach((slot) => {
          slot.dataset.errorFor = slot.dataset.errorFor.replace("courses[" + previous + "]", "courses[" + index + "]");
          slot.id = slot.id.replace("f-courses-" + previous + "-", "f-courses-" + index + "-");
          slot.textContent = "";
        });
        copy.querySelector(".row-number").textContent = String(index + 1);
        body.append(copy);
        copy.querySelector("input").focus();
      });
    }
  }

  // --- Issuing progress: poll the job until it is done, then show the final page. ---
  const job = document.querySelector("[data-job]");
  if (job && !["finished", "failed", "interrupted"].includes(job.dataset.state)) {
    const bar = job.querySelector("progress");
    const count = job.querySelector("[data-job-count]");
    const poll = () => {
      fetch(job.dataset.job, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
        .then((state) => {
          bar.max = Math.max(state.total, 1);
          bar.value = state.done;
          count.textContent = job.dataset.msgProgress.replace("{done}", state.done).replace("{total}", state.total);
          if (state.finished) window.location.reload();
          else setTimeout(poll, 800);
        })
        .catch(() => setTimeout(poll, 3000));
    };
    setTimeout(poll, 500);
  }
})();
