"""An API reference page that works offline.

Litestar's bundled renderers (Swagger UI, Scalar, ReDoc, …) load their JavaScript from
CDNs and no asset package is installed, so this page is self-contained: a little vanilla
JavaScript fetches ``/schema/openapi.json`` and lists every operation with its
parameters, request body and responses. It is served at ``/schema`` and ``/schema/docs``.
"""

from __future__ import annotations

import html
from typing import Any

from litestar import Request
from litestar.enums import MediaType
from litestar.openapi.plugins import OpenAPIRenderPlugin

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__ — API reference</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 2rem; color: #1d2430; }
  h1 { margin-bottom: 0; } .sub { color: #5b6575; margin-top: .2rem; }
  details.op { border: 1px solid #d5dae2; border-radius: 6px; margin: .5rem 0; }
  details.op > summary { cursor: pointer; padding: .5rem .75rem; font-family: ui-monospace, monospace; }
  details.op > div { padding: 0 1rem 1rem; }
  .m { display: inline-block; min-width: 4.5rem; font-weight: bold; }
  .get { color: #0a6ebd; } .post { color: #1e8a3c; } .patch { color: #b06d00; } .delete { color: #b3261e; } .put { color: #6f42c1; }
  .lock { color: #5b6575; font-size: .85em; }
  table { border-collapse: collapse; width: 100%; margin: .3rem 0; }
  td, th { border-bottom: 1px solid #eceff3; text-align: left; padding: .25rem .4rem; vertical-align: top; font-size: .92em; }
  code, pre { font-family: ui-monospace, monospace; font-size: .88em; }
  pre { background: #f5f7fa; padding: .6rem; overflow-x: auto; border-radius: 4px; }
  h2 { border-bottom: 2px solid #d5dae2; padding-bottom: .2rem; margin-top: 2rem; }
</style>
</head>
<body>
<h1 id="title">__TITLE__</h1>
<p class="sub">Machine-readable schema: <a href="__JSON__">__JSON__</a></p>
<div id="api">Loading the schema…</div>
<script>
(function () {
  "use strict";
  var root = document.getElementById("api");
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function resolve(spec, schema) {
    var seen = 0;
    while (schema && schema.$ref && seen++ < 20) {
      schema = schema.$ref.split("/").slice(1).reduce(function (o, k) { return o && o[k]; }, spec);
    }
    return schema || {};
  }
  function expand(spec, schema, depth) {
    schema = resolve(spec, schema);
    if (depth > 6) { return schema; }
    var out = {};
    Object.keys(schema).forEach(function (k) {
      var v = schema[k];
      if (k === "properties") {
        out.properties = {};
        Object.keys(v).forEach(function (p) { out.properties[p] = expand(spec, v[p], depth + 1); });
      } else if (k === "items" || k === "additionalProperties") {
        out[k] = typeof v === "object" ? expand(spec, v, depth + 1) : v;
      } else if (k === "oneOf" || k === "anyOf" || k === "allOf") {
        out[k] = v.map(function (s) { return expand(spec, s, depth + 1); });
      } else { out[k] = v; }
    });
    return out;
  }
  function schemaBlock(spec, schema) {
    return el("pre", {}, [JSON.stringify(expand(spec, schema, 0), null, 2)]);
  }
  function operation(spec, path, method, op) {
    var body = el("div");
    if (op.description) { body.appendChild(el("p", {}, [op.description])); }
    var params = op.parameters || [];
    if (params.length) {
      var rows = [el("tr", {}, [el("th", {}, ["name"]), el("th", {}, ["in"]), el("th", {}, ["required"]), el("th", {}, ["schema"]), el("th", {}, ["description"])])];
      params.forEach(function (p) {
        p = resolve(spec, p);
        rows.push(el("tr", {}, [
          el("td", {}, [el("code", {}, [p.name])]), el("td", {}, [p.in]), el("td", {}, [p.required ? "yes" : "no"]),
          el("td", {}, [el("code", {}, [JSON.stringify(resolve(spec, p.schema))])]), el("td", {}, [p.description || ""])
        ]));
      });
      body.appendChild(el("h4", {}, ["Parameters"]));
      body.appendChild(el("table", {}, rows));
    }
    if (op.requestBody) {
      var rb = resolve(spec, op.requestBody);
      Object.keys(rb.content || {}).forEach(function (mt) {
        body.appendChild(el("h4", {}, ["Request body (" + mt + ")" + (rb.required ? ", required" : "")]));
        body.appendChild(schemaBlock(spec, rb.content[mt].schema));
      });
    }
    body.appendChild(el("h4", {}, ["Responses"]));
    Object.keys(op.responses || {}).sort().forEach(function (status) {
      var r = resolve(spec, op.responses[status]);
      body.appendChild(el("p", {}, [el("strong", {}, [status]), " " + (r.description || "")]));
      Object.keys(r.content || {}).forEach(function (mt) {
        body.appendChild(el("div", {}, [el("code", {}, [mt])]));
        body.appendChild(schemaBlock(spec, r.content[mt].schema));
      });
    });
    var secured = (op.security || spec.security || []).length > 0;
    var summary = el("summary", {}, [
      el("span", { "class": "m " + method }, [method.toUpperCase()]), path + "  ",
      el("span", {}, [op.summary || ""]), secured ? el("span", { "class": "lock" }, ["  (bearer token)"]) : ""
    ]);
    return el("details", { "class": "op" }, [summary, body]);
  }
  function render(spec) {
    root.textContent = "";
    var info = spec.info || {};
    document.getElementById("title").textContent = (info.title || "API") + " " + (info.version || "");
    if (info.description) { root.appendChild(el("p", {}, [info.description])); }
    var byTag = {};
    Object.keys(spec.paths || {}).sort().forEach(function (path) {
      var item = spec.paths[path];
      ["get", "post", "put", "patch", "delete"].forEach(function (method) {
        if (!item[method]) { return; }
        var tag = (item[method].tags || ["other"])[0];
        (byTag[tag] = byTag[tag] || []).push(operation(spec, path, method, item[method]));
      });
    });
    Object.keys(byTag).sort().forEach(function (tag) {
      root.appendChild(el("h2", {}, [tag]));
      byTag[tag].forEach(function (node) { root.appendChild(node); });
    });
  }
  fetch("__JSON__", { headers: { "Accept": "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(render)
    .catch(function (e) { root.textContent = "Could not load the schema: " + e.message; });
})();
</script>
</body>
</html>
"""  # noqa: E501 - an embedded page, wrapped for readability not width


class OfflineDocsRenderPlugin(OpenAPIRenderPlugin):
    def __init__(self, *, path: str | list[str] = "/docs") -> None:
        super().__init__(path=path, media_type=MediaType.HTML, favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema.get("info", {}).get("title", "API")))
        json_path = html.escape(self.get_openapi_json_route(request))
        page = _PAGE.replace("__TITLE__", title).replace("__JSON__", json_path)
        return page.encode("utf-8")
