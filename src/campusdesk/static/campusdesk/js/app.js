// campusdesk: the little behaviour the pages need beyond htmx.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".menu-toggle");
  const nav = document.getElementById("main-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }
});

// --- forms that fill themselves (issue 22 §3) ----------------------------------------------
// A <select data-fill="field" data-fill-values='{"option": "value", …}'> sets that field of
// its form to the chosen option's value (the accept form: the committed time follows the
// severity's resolution target), unless the person has typed a value of their own there.
// Delegated from the document, so forms swapped in by htmx work too.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || !select.dataset.fill || !select.form) {
    return;
  }
  const field = select.form.elements.namedItem(select.dataset.fill);
  if (!(field instanceof HTMLInputElement)) {
    return;
  }
  if (field.value && field.value !== (field.dataset.filled || "")) {
    return; // typed by the person: theirs
  }
  const values = JSON.parse(select.dataset.fillValues || "{}");
  const value = values[select.value] || "";
  field.value = value;
  field.dataset.filled = value;
});

// --- tables on a phone, the navigation's "more", feedback of htmx actions (issue 22 §1, §6) --
// A list's cells carry their column's heading as data-label: app.css shows it before each
// value when a row becomes a card (≤ 640 px). Read here from each table's own <th>s, once
// for the page and again for whatever htmx puts in it, rather than written in every template.
function labelTableCells(root) {
  if (!(root instanceof Element)) {
    return;
  }
  const tables = new Set(root.querySelectorAll("table.list"));
  const own = root.closest("table.list");
  if (own) {
    tables.add(own);
  }
  tables.forEach((table) => {
    const heads = [];
    const headRow = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!headRow) {
      return;
    }
    for (const th of headRow.cells) {
      const text = th.textContent.replace(/\s+/g, " ").trim();
      for (let span = 0; span < th.colSpan; span += 1) {
        heads.push(text);
      }
    }
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        let column = 0;
        for (const cell of row.cells) {
          const label = heads[column];
          if (cell.tagName === "TD" && label && cell.colSpan < heads.length && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", label);
            if (/^[\s—-]*$/.test(cell.textContent) && !cell.querySelector("input, select, button, img, svg")) {
              cell.setAttribute("data-empty", ""); // nothing to say: left out of a phone's card
            }
          }
          column += cell.colSpan;
        }
      }
    }
  });
}
document.addEventListener("DOMContentLoaded", () => labelTableCells(document.body));
document.addEventListener("htmx:load", (event) => labelTableCells(event.target));

// The navigation's "more" menu closes on a click elsewhere and on Escape; on a phone the menu
// (☰) lists every link, "more" open and its summary hidden (app.css).
const phoneMenu = window.matchMedia("(max-width: 720px)");
function openMoreOnPhone() {
  document.querySelectorAll("details.nav-more").forEach((menu) => {
    menu.open = phoneMenu.matches;
  });
}
document.addEventListener("DOMContentLoaded", openMoreOnPhone);
phoneMenu.addEventListener("change", openMoreOnPhone);
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.nav-more[open]").forEach((menu) => {
    if (!phoneMenu.matches && !menu.contains(event.target)) {
      menu.removeAttribute("open");
    }
  });
});
document.addEventListener("keydown", (event) => {
  const menu = event.key === "Escape" && event.target instanceof Element && event.target.closest("details.nav-more[open]");
  if (menu) {
    menu.removeAttribute("open");
    menu.querySelector("summary").focus();
  }
});

// What an htmx action did, said in the polite live region #toast (base.html: its words are
// the page's, translated): the server's message (HX-Trigger: {"toast": "…"}), else "saved";
// a form that came back with its errors, or a refusal, says so. Focus stays on the element
// acted on, or goes to the region that replaced it (or to the first field in error).
const toast = {
  timer: 0,
  show(text, failed) {
    const region = document.getElementById("toast");
    if (!region || !text) {
      return;
    }
    window.clearTimeout(this.timer);
    region.textContent = "";
    region.classList.toggle("failed", Boolean(failed));
    window.setTimeout(() => {
      region.textContent = text;
      region.classList.add("shown");
    }, 50);
    this.timer = window.setTimeout(() => region.classList.remove("shown"), failed ? 10000 : 5000);
  },
  word(name) {
    const region = document.getElementById("toast");
    return (region && region.dataset[name]) || "";
  },
};

function serverMessage(xhr) {
  let trigger = null;
  try {
    trigger = JSON.parse(xhr.getResponseHeader("HX-Trigger") || "null");
  } catch (error) {
    return ""; // a bare event name: no message
  }
  const said = trigger && trigger.toast;
  return (said && (said.message || (typeof said === "string" ? said : ""))) || "";
}

function refusalText(xhr) {
  if (!xhr.status) {
    return toast.word("offline");
  }
  const type = xhr.getResponseHeader("Content-Type") || "";
  if (type.includes("html")) {
    const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const said = page.querySelector("main [role=alert], main .error, main p, main h1");
    const text = said && said.textContent.replace(/\s+/g, " ").trim();
    if (text) {
      return text.slice(0, 200);
    }
  }
  return toast.word("failed");
}

const acting = new WeakMap(); // request → the element that had focus when it was sent
document.addEventListener("htmx:beforeRequest", (event) => {
  acting.set(event.detail.xhr, document.activeElement);
});

function keepFocus(before, target) {
  const region = (target && target.id && document.getElementById(target.id)) || target;
  const invalid = region && region.isConnected && region.querySelector(".error[role=alert]");
  if (invalid) {
    const fields = "input:not([type=hidden]), select, textarea";
    const prior = invalid.previousElementSibling; // the field, or the label around a checkbox
    const field = prior && (prior.matches(fields) ? prior : prior.querySelector(fields));
    const control = field || invalid; // a form's own error: the message itself
    if (control === invalid) {
      invalid.setAttribute("tabindex", "-1");
    }
    control.focus();
    return true;
  }
  if (before instanceof HTMLElement && before.isConnected && before !== document.body) {
    if (document.activeElement !== before) {
      before.focus({ preventScroll: true });
    }
    return false;
  }
  const again = before instanceof HTMLElement && before.id && document.getElementById(before.id);
  const next = again || (region && region.isConnected ? region : null);
  if (next) {
    if (!next.matches("a[href], button, input, select, textarea, [tabindex]")) {
      next.setAttribute("tabindex", "-1");
    }
    next.focus({ preventScroll: true });
  }
  return false;
}

const answered = new WeakSet(); // htmx fires afterRequest again on an ancestor of a replaced element
document.addEventListener("htmx:afterRequest", (event) => {
  const detail = event.detail;
  const verb = ((detail.requestConfig && detail.requestConfig.verb) || "get").toLowerCase();
  if (verb === "get" || answered.has(detail.xhr)) {
    return;
  }
  answered.add(detail.xhr);
  if (detail.successful) {
    const hasErrors = keepFocus(acting.get(detail.xhr), detail.target);
    const said = serverMessage(detail.xhr);
    toast.show(hasErrors ? toast.word("invalid") : said || toast.word("saved"), hasErrors);
  } else {
    toast.show(serverMessage(detail.xhr) || refusalText(detail.xhr), true);
  }
});
