#if Server
/// The page at `/`: a search box, an image drop zone and a file picker over the served index,
/// results as a grid of thumbnails with their scores. One HTML file, inline CSS and script, no
/// external resources. `/?q=text` runs that search on load. Each result is
/// `<figure class="hit" data-path="..." data-score="...">` holding `<img src="/v1/images?path=...">`.
/// When the server has an API key, a search that answers 401 shows a key field; the key is kept
/// in the browser's localStorage and the thumbnails are then fetched with it.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>swift-clip search</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #222; background: #fafafa; }
  body { margin: 0 auto; max-width: 72rem; padding: 1.5rem; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  form { display: flex; gap: .5rem; }
  input[type=search], input[type=password] { flex: 1; font-size: 1rem; padding: .5rem .7rem; border: 1px solid #bbb; border-radius: 6px; }
  button { font-size: 1rem; padding: .5rem 1rem; border-radius: 6px; border: 1px solid #888; background: #fff; cursor: pointer; }
  #drop { margin: 1rem 0; padding: 1.2rem; border: 2px dashed #aaa; border-radius: 8px; text-align: center; color: #666; }
  #drop.over { border-color: #2a6ee8; background: #eef4ff; }
  #key { display: none; margin: 1rem 0; gap: .5rem; }
  #status { min-height: 1.4rem; color: #555; margin: .5rem 0; }
  #status.error { color: #b00020; }
  #grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: .8rem; }
  figure.hit { margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 8px; overflow: hidden; }
  figure.hit img { display: block; width: 100%; aspect-ratio: 1; object-fit: cover; background: #eee; }
  figure.hit figcaption { padding: .35rem .5rem; font-size: .8rem; overflow-wrap: anywhere; }
  figure.hit .score { font-weight: 600; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>swift-clip: search the photo index</h1>
<form id="search">
  <input id="q" type="search" name="q" placeholder="a text, e.g. a red star" autocomplete="off">
  <button type="submit">Search</button>
</form>
<form id="key">
  <input id="apikey" type="password" placeholder="API key (Authorization: Bearer …)">
  <button type="submit">Use key</button>
</form>
<div id="drop">Drop an image here to search by image, or <label><u>pick a file</u><input id="file" type="file" accept="image/jpeg,image/png" hidden></label>.</div>
<div id="status"></div>
<div id="grid"></div>
<script>
"use strict";
const resultCount = 24;
const grid = document.getElementById("grid");
const statusLine = document.getElementById("status");
const keyForm = document.getElementById("key");
let pending = null;

function apiKey() { try { return localStorage.getItem("clip-api-key") || ""; } catch (e) { return ""; } }
function headers() {
  const h = { "Content-Type": "application/json" };
  const key = apiKey();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}
function say(text, isError) {
  statusLine.textContent = text;
  statusLine.className = isError ? "error" : "";
}

async function search(query, label) {
  pending = { query: query, label: label };
  say("Searching " + label + " …", false);
  let response;
  try {
    response = await fetch("/v1/search", { method: "POST", headers: headers(), body: JSON.stringify(Object.assign({ top: resultCount }, query)) });
  } catch (e) { say("The server did not answer: " + e, true); return; }
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (response.status === 401) {
    keyForm.style.display = "flex";
    say("This server needs an API key.", true);
    return;
  }
  if (!response.ok) {
    say((body && body.error && body.error.message) || ("HTTP " + response.status), true);
    return;
  }
  show(body.results || [], label);
}

function show(results, label) {
  grid.replaceChildren();
  for (const hit of results) {
    const figure = document.createElement("figure");
    figure.className = "hit";
    figure.dataset.path = hit.path;
    figure.dataset.score = String(hit.score);
    const img = document.createElement("img");
    img.alt = hit.path;
    img.loading = "lazy";
    if (apiKey()) {
      fetch(hit.url, { headers: headers() }).then(r => r.ok ? r.blob() : null)
        .then(b => { if (b) img.src = URL.createObjectURL(b); });
    } else {
      img.src = hit.url;
    }
    const caption = document.createElement("figcaption");
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = hit.score.toFixed(4);
    caption.append(score, " ", hit.path.split("/").pop());
    caption.title = hit.path;
    figure.append(img, caption);
    grid.append(figure);
  }
  say(results.length + " results for " + label + ".", false);
}

document.getElementById("search").addEventListener("submit", event => {
  event.preventDefault();
  const text = document.getElementById("q").value.trim();
  if (!text) return;
  history.replaceState(null, "", "?q=" + encodeURIComponent(text));
  search({ text: text }, "“" + text + "”");
});
keyForm.addEventListener("submit", event => {
  event.preventDefault();
  try { localStorage.setItem("clip-api-key", document.getElementById("apikey").value); } catch (e) {}
  keyForm.style.display = "none";
  if (pending) search(pending.query, pending.label);
});

function searchFile(file) {
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => search({ image: reader.result }, "the image " + file.name);
  reader.onerror = () => say("Could not read " + file.name, true);
  reader.readAsDataURL(file);
}
const drop = document.getElementById("drop");
drop.addEventListener("dragover", event => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", event => {
  event.preventDefault();
  drop.classList.remove("over");
  searchFile(event.dataTransfer.files[0]);
});
document.getElementById("file").addEventListener("change", event => searchFile(event.target.files[0]));

const initial = new URLSearchParams(location.search).get("q");
if (initial && initial.trim()) {
  document.getElementById("q").value = initial;
  search({ text: initial.trim() }, "“" + initial.trim() + "”");
}
</script>
</body>
</html>
"""#
}
#endif
