// The sign-in page: the part of the address after `#` (say `/desk/#t=3`, a ticket) never reaches
// the server, so the page adds it to the `next` fields (signing in, switching the language);
// after signing in the agent lands on it. (A static file: the Content-Security-Policy allows no
// inline scripts.)

if (location.hash.length > 1) {
  for (const next of document.querySelectorAll("form input[name=next]")) {
    if (next.value.startsWith("/") && !next.value.includes("#")) next.value += location.hash;
  }
}
