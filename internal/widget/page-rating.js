/* Contact Hub page-rating widget, v1: <contacthub-page-rating></contacthub-page-rating>
   The GOV.UK "Is this page useful?" pattern. No dependencies, no eval, no inline styles
   (constructed stylesheets, which a strict style-src does not block), posts to the hub it
   was loaded from (or the element's hub="" attribute) at POST /v1/ratings. */
(function () {
  "use strict";
  if (!window.customElements || customElements.get("contacthub-page-rating")) return;
  var script = document.currentScript;
  var hubOrigin = script && script.src ? new URL(script.src).origin : "";
  var css =
    ":host{display:block;font:inherit;color:inherit;margin:1em 0}" +
    ".w{border-top:1px solid #b1b4b6;padding:1em 0}" +
    "p{margin:0 0 .75em}" +
    ".q{display:flex;flex-wrap:wrap;align-items:center;gap:.5em 1em}.q p{margin:0}" +
    "button{font:inherit;font-size:1em;line-height:1.25;padding:.4em .9em;border:2px solid #0b0c0c;border-radius:0;background:#fff;color:#0b0c0c;cursor:pointer;min-height:44px;min-width:44px}" +
    "button.p{background:#00703c;border-color:#00703c;color:#fff}" +
    "button:hover{background:#f3f2f1}button.p:hover{background:#005a30}" +
    "button:focus-visible,textarea:focus-visible,[tabindex]:focus-visible{outline:3px solid #fd0;outline-offset:0;box-shadow:0 0 0 6px #0b0c0c}" +
    "label{display:block;font-weight:700;margin:0 0 .25em}" +
    "textarea{display:block;box-sizing:border-box;width:100%;max-width:40em;font:inherit;border:2px solid #0b0c0c;padding:.3em;margin:0 0 1em;color:#0b0c0c;background:#fff}" +
    ".h{position:absolute;width:1px;height:1px;margin:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    "[hidden]{display:none!important}";
  var sheet = null;
  try { sheet = new CSSStyleSheet(); sheet.replaceSync(css); } catch (e) { sheet = null; }
  var seq = 0;

  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    for (var k in attrs) n.setAttribute(k, attrs[k]);
    if (text) n.textContent = text;
    return n;
  }

  function pageUrl() { return location.origin + location.pathname; }

  class PageRating extends HTMLElement {
    connectedCallback() { if (!this.shadowRoot) build(this); }
  }

  function build(host) {
    var root = host.attachShadow({ mode: "open" });
    if (sheet) root.adoptedStyleSheets = [sheet];
    var id = "chr" + ++seq;
    var wrap = el("div", { "class": "w", role: "region", "aria-label": "Page feedback" });

    var ask = el("div", { "class": "q" });
    ask.appendChild(el("p", { id: id + "q" }, "Is this page useful?"));
    var yes = el("button", { type: "button", "class": "p", "aria-describedby": id + "q" }, "Yes");
    var no = el("button", { type: "button", "class": "p", "aria-describedby": id + "q" }, "No");
    yes.appendChild(el("span", { "class": "h" }, " this page is useful"));
    no.appendChild(el("span", { "class": "h" }, " this page is not useful"));
    ask.appendChild(yes); ask.appendChild(no);

    var form = el("form", { hidden: "", "aria-labelledby": id + "f", novalidate: "" });
    var title = el("p", { id: id + "f", tabindex: "-1" }, "Help us improve this page. Don\u2019t include personal or financial information.");
    form.appendChild(title);
    form.appendChild(el("label", { "for": id + "d" }, "What were you doing?"));
    var doing = el("textarea", { id: id + "d", rows: "3", maxlength: "450", autocomplete: "off" });
    form.appendChild(doing);
    form.appendChild(el("label", { "for": id + "w" }, "What went wrong?"));
    var wrong = el("textarea", { id: id + "w", rows: "3", maxlength: "450", autocomplete: "off" });
    form.appendChild(wrong);
    var send = el("button", { type: "submit", "class": "p" }, "Send");
    var cancel = el("button", { type: "button" }, "Cancel");
    var actions = el("div", { "class": "q" });
    actions.appendChild(send); actions.appendChild(cancel);
    form.appendChild(actions);

    var thanks = el("p", { hidden: "", tabindex: "-1" }, "Thank you for your feedback.");
    var status = el("p", { role: "status", "class": "h" });
    wrap.appendChild(ask); wrap.appendChild(form); wrap.appendChild(thanks); wrap.appendChild(status);
    root.appendChild(wrap);

    var hub = (host.getAttribute("hub") || hubOrigin).replace(/\/+$/, "");
    var busy = false;
    function show(part) {
      ask.hidden = part !== ask; form.hidden = part !== form; thanks.hidden = part !== thanks;
    }
    function post(useful, comment) {
      if (busy) return;
      busy = true;
      status.textContent = "";
      var body = { source: "web_page", useful: useful, pageUrl: pageUrl() };
      if (comment) body.comment = comment;
      fetch(hub + "/v1/ratings", {
        method: "POST", mode: "cors", credentials: "omit",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
      }).then(function (r) {
        if (!r.ok) throw new Error("status " + r.status);
        show(thanks);
        thanks.focus();
        status.textContent = "Thank you for your feedback.";
      }).catch(function () {
        status.textContent = "Sorry, your feedback could not be sent. Please try again later.";
      }).then(function () { busy = false; });
    }
    yes.addEventListener("click", function () { post(true, ""); });
    no.addEventListener("click", function () { show(form); title.focus(); });
    cancel.addEventListener("click", function () { show(ask); no.focus(); });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var parts = [];
      if (doing.value.trim()) parts.push("What were you doing: " + doing.value.trim());
      if (wrong.value.trim()) parts.push("What went wrong: " + wrong.value.trim());
      post(false, parts.join("\n").slice(0, 1000));
    });
  }
  customElements.define("contacthub-page-rating", PageRating);
})();
