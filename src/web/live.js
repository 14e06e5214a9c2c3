// Live updates: when the server says something changed, fetch the live fragment again.
(function () {
  var box = document.getElementById("live");
  if (!box || !window.EventSource) return;
  var busy = false;
  var es = new EventSource("/today/events");
  es.addEventListener("changed", function () {
    if (busy) return;
    // Do not replace a form someone is typing in.
    if (box.contains(document.activeElement) && document.activeElement.tagName !== "BODY") return;
    busy = true;
    fetch(box.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (t) { if (t !== null) box.innerHTML = t; })
      .finally(function () { busy = false; });
  });
})();
