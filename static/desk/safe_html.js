// HTML from the server (search snippets, sanitised article bodies, the admin's Markdown preview)
// rebuilt as DOM nodes from an inert parse: no script runs, no image loads and no handler fires
// while parsing, and the copy keeps only the tags below, http(s)/mailto/site links and http(s)
// images. No imports: the admin's preview uses it outside the workspace.

const BODY_TAGS = new Set([
  "P", "BR", "HR", "H1", "H2", "H3", "H4", "H5", "H6", "STRONG", "EM", "DEL", "S", "CODE", "PRE",
  "BLOCKQUOTE", "UL", "OL", "LI", "A", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "IMG",
]);
const SAFE_URL = /^(https?:|mailto:|\/(?!\/))/i;

/** Parse HTML into an inert document's body. */
function inert(html) {
  return new DOMParser().parseFromString(`<body>${html || ""}</body>`, "text/html").body;
}

/** A snippet's nodes: its text, with <mark> kept; any other element becomes its text. */
export function snippetNodes(html) {
  return [...inert(html).childNodes].map((node) => {
    if (node.nodeName !== "MARK") return document.createTextNode(node.textContent);
    const mark = document.createElement("mark");
    mark.textContent = node.textContent;
    return mark;
  });
}

function safeCopy(node) {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.textContent);
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const children = [...node.childNodes].map(safeCopy).filter(Boolean);
  if (!BODY_TAGS.has(node.nodeName)) {
    if (!children.length) return null;
    const span = document.createElement("span");
    span.append(...children);
    return span;
  }
  const copy = document.createElement(node.nodeName.toLowerCase());
  const href = node.getAttribute("href");
  const src = node.getAttribute("src");
  if (node.nodeName === "A" && href && SAFE_URL.test(href)) {
    Object.assign(copy, { href, target: "_blank", rel: "noopener noreferrer nofollow" });
  }
  if (node.nodeName === "IMG") {
    if (!src || !/^https?:/i.test(src)) return null;
    Object.assign(copy, { src, alt: node.getAttribute("alt") || "", loading: "lazy" });
  }
  for (const name of ["title", "align", "start"]) {
    if (node.hasAttribute(name)) copy.setAttribute(name, node.getAttribute(name));
  }
  copy.append(...children);
  return copy;
}

/** Sanitised article HTML as nodes (the allowed tags and safe links only). */
export function articleNodes(html) {
  return [...inert(html).childNodes].map(safeCopy).filter(Boolean);
}
