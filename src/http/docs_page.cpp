#include "http/docs_page.hpp"

namespace ecf::http {

std::string_view docs_page() {
    static constexpr std::string_view page = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Edge Cluster Frontend API</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.6em; }
.op { border: 1px solid #ccc; border-radius: 6px; margin: 1em 0; padding: 0.6em 1em; }
.method { display: inline-block; min-width: 4.5em; font-weight: bold; text-transform: uppercase; }
.get { color: #1a6; } .post { color: #15c; } .put, .patch { color: #c80; } .delete { color: #c33; }
code, pre, textarea, input { font-family: ui-monospace, monospace; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { padding: 0.2em 0.6em; text-align: left; border-bottom: 1px solid #eee; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; white-space: pre-wrap; }
textarea { width: 100%; height: 4em; }
details summary { cursor: pointer; }
</style>
</head>
<body>
<h1 id="title">API</h1>
<p id="description"></p>
<p>OpenAPI document: <a href="/openapi.json">/openapi.json</a></p>
<div id="operations">Loading&hellip;</div>
<script>
"use strict";
function element(tag, attributes, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  for (const child of children || []) {
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}
function parameterTable(parameters) {
  const rows = parameters.map(p => element("tr", {}, [
    element("td", {}, [element("code", {}, [p.name])]), element("td", {}, [p.in]),
    element("td", {}, [p.required ? "required" : "optional"]),
    element("td", {}, [p.schema ? (p.schema.enum ? p.schema.enum.join(" | ") : String(p.schema.type)) : ""]),
    element("td", {}, [p.description || ""])]));
  return element("table", {}, [element("tr", {}, ["name", "in", "", "type", ""].map(h => element("th", {}, [h]))), ...rows]);
}
function tryForm(path, method, operation) {
  const parameters = operation.parameters || [];
  const inputs = {};
  const fields = parameters.map(p => {
    inputs[p.name] = element("input", {name: p.name, placeholder: p.name, size: "40"});
    return element("div", {}, [element("label", {}, [p.name + " (" + p.in + ") "]), inputs[p.name]]);
  });
  const body = operation.requestBody ? element("textarea", {placeholder: "JSON body"}) : null;
  const output = element("pre", {}, [""]);
  const button = element("button", {type: "button"}, ["Send"]);
  button.addEventListener("click", async () => {
    let url = path;
    const query = new URLSearchParams();
    const headers = {};
    for (const p of parameters) {
      const value = inputs[p.name].value;
      if (value === "") continue;
      if (p.in === "path") url = url.replace("{" + p.name + "}", encodeURIComponent(value));
      else if (p.in === "query") query.append(p.name, value);
      else if (p.in === "header") headers[p.name] = value;
    }
    if ([...query].length) url += "?" + query.toString();
    const init = {method: method.toUpperCase(), headers};
    if (body && body.value !== "") { init.body = body.value; headers["Content-Type"] = "application/json"; }
    output.textContent = "...";
    try {
      const response = await fetch(url, init);
      const text = await response.text();
      output.textContent = response.status + " " + response.statusText + "\n" + text;
    } catch (error) {
      output.textContent = String(error);
    }
  });
  return element("details", {}, [element("summary", {}, ["Try it"]), ...fields,
    ...(body ? [body] : []), button, output]);
}
fetch("/openapi.json").then(r => r.json()).then(spec => {
  document.getElementById("title").textContent = spec.info.title + " " + spec.info.version;
  document.title = spec.info.title;
  document.getElementById("description").textContent = spec.info.description || "";
  const list = document.getElementById("operations");
  list.textContent = "";
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const responses = Object.entries(operation.responses || {}).map(([code, r]) =>
        element("tr", {}, [element("td", {}, [code]), element("td", {}, [r.description || ""])]));
      list.append(element("div", {class: "op"}, [
        element("span", {class: "method " + method}, [method]), element("code", {}, [path]),
        element("p", {}, [operation.summary || ""]),
        ...(operation.description ? [element("p", {}, [operation.description])] : []),
        ...((operation.parameters || []).length ? [parameterTable(operation.parameters)] : []),
        ...(responses.length ? [element("table", {}, responses)] : []),
        tryForm(path, method, operation)]));
    }
  }
}).catch(error => { document.getElementById("operations").textContent = "Cannot load /openapi.json: " + error; });
</script>
</body>
</html>
)HTML";
    return page;
}

}  // namespace ecf::http
