/* Unidesk chat widget loader: <script src="https://desk.example.com/static/widget/loader.js"
   data-site="KEY" async></script>. Draws a launcher button (in a shadow root, so the
   page's CSS cannot touch it) and creates the chat iframe on the first click only. Optional:
   data-color="#3454d1"; window.UnideskSettings = {user: {id, name, email, phone, attributes},
   userHash} for signed-in users (userHash = hex HMAC-SHA256(site secret, String(user.id))).
   On sign-out call Unidesk.signOut() (a promise; await it before leaving the page): every token
   of this visitor is revoked and the widget starts again as a new anonymous visitor. */
(function (w, d) {
  "use strict";
  var script = d.currentScript || d.querySelector("script[data-site]");
  if (!script || w.__unideskWidget) return;
  w.__unideskWidget = 1;
  var key = script.getAttribute("data-site");
  var origin = new URL(script.src, location.href).origin;
  var color = script.getAttribute("data-color") || "";
  var hostLang = d.documentElement.lang || "";
  var zh = /^zh/i.test(hostLang || navigator.language);
  var label = zh ? ["在线客服", "收起聊天"] : ["Chat with us", "Close chat"];
  var openKey = "unidesk:" + key + ":open";
  var outKey = "unidesk:" + key + ":signout"; // a sign-out the frame has not done yet
  var frame, open = false, signingOut = null;

  var host = d.createElement("div");
  host.setAttribute("data-unidesk", key);
  var root = host.attachShadow({ mode: "open" });
  var css =
    ":host{all:initial}" +
    ".b{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border:0;border-radius:50%;" +
    "background:var(--c,#3454d1);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}" +
    ".b svg{width:28px;height:28px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}" +
    ".n{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#e5484d;" +
    "font:600 12px/20px system-ui,sans-serif;text-align:center;box-sizing:border-box}" +
    ".p{position:fixed;right:20px;bottom:88px;z-index:2147483000;width:380px;height:600px;max-height:calc(100vh - 108px);" +
    "border-radius:14px;overflow:hidden;background:#fff;box-shadow:0 8px 30px rgba(0,0,0,.25)}" +
    "[hidden]{display:none!important}iframe{display:block;border:0;width:100%;height:100%}" +
    "@media (max-width:480px){.p{right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0}.o{display:none}}";
  if (root.adoptedStyleSheets && w.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    var style = d.createElement("style");
    style.textContent = css;
    root.appendChild(style);
  }
  var panel = d.createElement("div");
  panel.className = "p";
  panel.hidden = true;
  var button = d.createElement("button");
  button.type = "button";
  button.className = "b";
  button.innerHTML =
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 5h16v11H9l-5 4z"/></svg><span class="n" hidden></span>';
  var badge = button.lastChild;
  if (/^#[0-9a-f]{3,8}$/i.test(color)) host.style.setProperty("--c", color);
  root.appendChild(panel);
  root.appendChild(button);

  function remember(value, name) {
    try {
      localStorage.setItem(name || openKey, value ? "1" : "");
    } catch (e) {}
  }

  function recall(name) {
    try {
      return localStorage.getItem(name);
    } catch (e) {
      return "";
    }
  }

  function tell() {
    if (frame) frame.contentWindow.postMessage({ unidesk: "visible", open: open }, origin);
  }

  function create() {
    var s = w.UnideskSettings || {};
    var ctx = {
      url: location.href,
      title: d.title,
      referrer: d.referrer,
      lang: hostLang,
      origin: location.origin,
      user: s.user,
      user_hash: s.userHash,
      signed_out: recall(outKey) === "1"
    };
    frame = d.createElement("iframe");
    frame.title = label[0];
    frame.src = origin + "/widget/frame/?site=" + encodeURIComponent(key) + "#" + encodeURIComponent(JSON.stringify(ctx));
    frame.addEventListener("load", tell);
    panel.appendChild(frame);
  }

  function toggle(value) {
    open = value;
    if (open && !frame) create();
    panel.hidden = !open;
    button.className = open ? "b o" : "b";
    button.setAttribute("aria-expanded", String(open));
    button.setAttribute("aria-label", label[open ? 1 : 0]);
    button.title = label[open ? 1 : 0];
    remember(open);
    tell();
  }

  button.addEventListener("click", function () {
    toggle(!open);
  });
  w.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== origin) return;
    var data = event.data || {};
    if (data.unidesk === "close") toggle(false);
    if (data.unidesk === "signedOut") {
      remember(false, outKey);
      if (signingOut) signingOut();
    }
    if (data.unidesk === "unread") {
      badge.hidden = !data.count;
      badge.textContent = data.count > 99 ? "99+" : String(data.count || "");
    }
  });

  w.Unidesk = w.Unidesk || {};
  w.Unidesk.signOut = function () {
    var s = w.UnideskSettings;
    if (s) s.user = s.userHash = undefined;
    remember(true, outKey); // done by the next frame if this one cannot
    if (!frame) return Promise.resolve();
    return new Promise(function (resolve) {
      var timer = setTimeout(function () {
        signingOut();
      }, 3000);
      signingOut = function () {
        clearTimeout(timer);
        signingOut = null;
        panel.removeChild(frame); // a fresh frame: nothing of the signed-out visitor stays
        frame = null;
        if (open) create();
        resolve();
      };
      frame.contentWindow.postMessage({ unidesk: "signOut" }, origin);
    });
  };

  function mount() {
    d.body.appendChild(host);
    toggle(recall(openKey) === "1");
  }
  if (d.body) mount();
  else d.addEventListener("DOMContentLoaded", mount);
})(window, document);
