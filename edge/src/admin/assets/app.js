// The Tether dashboard. No framework and no build step: this file is what the browser runs.
// It reads the admin API (/api/v1/...) with the HttpOnly cookie that /api/v1/login sets, and
// redraws the page when the API's event stream (/api/v1/events) says something changed.
// Everything shown is built with DOM calls (never innerHTML), so names from the store are text.
"use strict";

const state = { who: null, events: null, refreshing: null, again: false };

// --- DOM and API helpers ---------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children.flat(Infinity)) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (response.status === 401 && path !== "/api/v1/login") {
    showLogin("Your session ended; log in again.");
    throw new ApiError(401, data ? data.message : "unauthorized");
  }
  if (!response.ok) throw new ApiError(response.status, data ? data.message : response.statusText);
  return data;
}

function say(text) { document.getElementById("live").textContent = text; }
const canWrite = () => state.who && state.who.role === "write";

function ago(secs) {
  if (secs < 60) return `${secs}s`;
  if (secs < 3600) return `${Math.floor(secs / 60)}m ${secs % 60}s`;
  if (secs < 86400) return `${Math.floor(secs / 3600)}h ${Math.floor((secs % 3600) / 60)}m`;
  return `${Math.floor(secs / 86400)}d ${Math.floor((secs % 86400) / 3600)}h`;
}
const time = (unix) => new Date(unix * 1000).toLocaleTimeString();
const fixed = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : "–");

// --- Login -------------------------------------------------------------------------------------

function showLogin(message) {
  if (state.events) { state.events.close(); state.events = null; }
  state.who = null;
  document.getElementById("nav").hidden = true;
  document.getElementById("who").hidden = true;
  document.getElementById("view").replaceChildren();
  document.getElementById("login").hidden = false;
  document.getElementById("login-error").textContent = message || "";
  document.getElementById("token").focus();
}

async function login(event) {
  event.preventDefault();
  const input = document.getElementById("token");
  const button = event.target.querySelector("button");
  button.disabled = true;
  try {
    await api("POST", "/api/v1/login", { token: input.value.trim() });
    input.value = "";
    await start();
  } catch (e) {
    document.getElementById("login-error").textContent = e.message;
  } finally {
    button.disabled = false;
  }
}

async function logout() {
  await api("POST", "/api/v1/logout").catch(() => {});
  showLogin("Logged out.");
}

async function start() {
  state.who = await api("GET", "/api/v1/whoami");
  document.getElementById("login").hidden = true;
  document.getElementById("nav").hidden = false;
  document.getElementById("who").hidden = false;
  document.getElementById("who-name").textContent = `${state.who.name} (${state.who.role})`;
  document.body.dataset.role = state.who.role;
  listen();
  await render();
}

// Redraws on the API's events: no polling. A burst of events makes one redraw.
function listen() {
  if (state.events) state.events.close();
  const events = new EventSource("/api/v1/events");
  const redraw = () => refresh();
  for (const name of ["sessions", "edges", "tunnels", "routes", "stats"]) events.addEventListener(name, redraw);
  events.addEventListener("hello", () => { document.body.dataset.live = "yes"; });
  events.onerror = () => { document.body.dataset.live = "no"; };
  state.events = events;
}

function refresh() {
  if (state.refreshing) { state.again = true; return; }
  state.refreshing = render().finally(() => {
    state.refreshing = null;
    if (state.again) { state.again = false; refresh(); }
  });
}

// --- Pages -------------------------------------------------------------------------------------

async function render() {
  if (!state.who) return;
  const hash = location.hash || "#/";
  const [, page, arg] = hash.match(/^#\/([a-z]*)\/?(.*)$/) || [null, "", ""];
  for (const a of document.querySelectorAll("#nav a")) {
    const current = (a.dataset.page === "overview" && page === "") || a.dataset.page === page;
    if (current) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  try {
    let view;
    if (page === "tunnel") view = await tunnelPage(decodeURIComponent(arg));
    else if (page === "edges") view = await edgesPage();
    else view = await overviewPage();
    const focused = document.activeElement && document.activeElement.id;
    document.getElementById("view").replaceChildren(view);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  } catch (e) {
    if (e.status !== 401) document.getElementById("view").replaceChildren(h("p", { class: "error", role: "alert" }, e.message));
  }
}

function table(caption, heads, rows, empty) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("div", { class: "scroll" }, h("table", {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, heads.map(([text, cls]) => h("th", { scope: "col", class: cls }, text)))),
    h("tbody", {}, rows)));
}

// The rate of change of a counter in each edge's ring, summed over edges per sample slot.
function rates(stats, field) {
  const slots = new Map();
  for (const edge of stats) {
    const samples = edge.samples;
    for (let i = 1; i < samples.length; i++) {
      const dt = samples[i].at - samples[i - 1].at;
      if (dt <= 0) continue;
      const slot = Math.round(samples[i].at / edge.interval) * edge.interval;
      const rate = Math.max(0, samples[i][field] - samples[i - 1][field]) / dt;
      slots.set(slot, (slots.get(slot) || 0) + rate);
    }
  }
  return [...slots.entries()].sort((a, b) => a[0] - b[0]);
}

// A line plot of [time, value] series, over the last 15 minutes.
function plot(title, unit, series) {
  const W = 600, H = 170, L = 44, B = 22, T = 8, R = 8;
  const now = Date.now() / 1000, from = now - 900;
  const max = Math.max(1e-9, ...series.flatMap((line) => line.points.map((p) => p[1])));
  const top = max <= 1 ? Math.ceil(max * 10) / 10 || 1 : Math.ceil(max * 1.1);
  const x = (t) => L + ((t - from) / 900) * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  const last = series.map((line) => (line.points.length ? line.points[line.points.length - 1][1] : 0));
  const summary = series.map((line, i) => `${line.name} ${fixed(last[i], 2)} ${unit}`).join(", ");
  const svg = s("svg", { class: "plot", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${title}, last 15 minutes; now ${summary}` },
    s("title", {}, `${title}: ${summary}`),
    s("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }),
    s("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }),
    s("text", { class: "tick", x: 4, y: T + 10 }, fixed(top, top < 10 ? 1 : 0)),
    s("text", { class: "tick", x: 4, y: H - B }, "0"),
    s("text", { class: "tick", x: L, y: H - 4 }, "−15 min"),
    s("text", { class: "tick", x: W - R - 30, y: H - 4 }, "now"),
    series.map((line, i) => {
      const shown = line.points.filter((p) => p[0] >= from);
      const pts = shown.map((p) => `${fixed(x(p[0]), 1)},${fixed(y(p[1]), 1)}`);
      const end = shown[shown.length - 1];
      return [s("polyline", { class: `series s${i % 4}`, points: pts.join(" ") }),
        end ? s("circle", { class: `dot d${i % 4}`, cx: fixed(x(end[0]), 1), cy: fixed(y(end[1]), 1), r: 3 }) : []];
    }));
  return h("section", { class: "panel", "aria-label": title },
    h("h2", {}, title),
    svg,
    h("ul", { class: "legend" }, series.map((line, i) => h("li", { class: `k${i % 4}` }, `■ ${line.name}: ${fixed(last[i], 2)} ${unit}`))));
}

async function overviewPage() {
  const [tunnels, edges, stats] = await Promise.all([
    api("GET", "/api/v1/tunnels"), api("GET", "/api/v1/edges"), api("GET", "/api/v1/metrics"),
  ]);
  const sessions = tunnels.reduce((n, t) => n + t.sessions.length, 0);
  const requests = rates(stats, "requests");
  const errors = rates(stats, "errors");
  const errorShare = requests.map(([t, r]) => {
    const e = errors.find((x) => x[0] === t);
    return [t, r > 0 && e ? (100 * e[1]) / r : 0];
  });
  const now = requests.length ? requests[requests.length - 1][1] : 0;
  const rows = tunnels.map((t) => h("tr", { "data-tunnel": t.name },
    h("td", {}, h("a", { href: `#/tunnel/${encodeURIComponent(t.id)}` }, t.name)),
    h("td", { class: "num" }, t.sessions.length),
    h("td", {}, [...new Set(t.sessions.map((x) => x.edge_id))].join(", ") || "–"),
    h("td", {}, t.routes.map((r) => r.hostname).join(", ") || "–")));
  const perEdge = edges.map((e) => h("tr", {},
    h("td", { class: "mono" }, e.id),
    h("td", {}, h("span", { class: `badge ${e.draining ? "draining" : "live"}` }, e.draining ? "draining" : "live")),
    h("td", { class: "num" }, e.sessions),
    h("td", { class: "num" }, e.streams === null ? "–" : e.streams)));
  return h("div", { id: "overview" },
    h("h1", {}, "Overview"),
    h("div", { class: "cards" },
      card("Tunnels", tunnels.length, "tunnels"), card("Sessions", sessions, "sessions"),
      card("Edges", edges.length, "edges"), card("Requests/s", fixed(now, 1), "rps")),
    h("div", { class: "grid2" },
      plot("Requests per second", "req/s", [{ name: "all edges", points: requests }]),
      plot("Error rate (5xx)", "%", [{ name: "all edges", points: errorShare }])),
    h("div", { class: "stack" },
      h("section", { class: "panel", "aria-labelledby": "tunnels-title" },
        h("h2", { id: "tunnels-title" }, "Tunnels"),
        table("Tunnels, their live sessions and routes", [["Tunnel"], ["Sessions", "num"], ["Edges"], ["Routes"]], rows,
          "No tunnels yet: edge tunnel create NAME")),
      h("section", { class: "panel", "aria-labelledby": "edges-title" },
        h("h2", { id: "edges-title" }, "Sessions per edge"),
        table("Edges and the sessions each holds", [["Edge"], ["State"], ["Sessions", "num"], ["Streams", "num"]], perEdge, "No live edge."))),
    canWrite() ? routeForm(tunnels) : null);
}

function card(label, value, id) {
  return h("div", { class: "card", id: `card-${id}` }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
}

function routeForm(tunnels, fixedTunnel) {
  const error = h("p", { class: "error", role: "alert", id: "route-error" });
  const submit = async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { type: form.type.value, tunnel: form.tunnel.value, hostname: form.hostname.value.trim() };
    if (form.type.value === "tcp" && form.port.value) body.port = Number(form.port.value);
    form.querySelector("button").disabled = true;
    try {
      const routed = await api("POST", "/api/v1/routes", body);
      error.textContent = "";
      say(`Routed ${routed.route.hostname} to ${routed.tunnel_name}`);
      form.hostname.value = "";
      refresh();
    } catch (e) {
      error.textContent = e.message;
    } finally {
      form.querySelector("button").disabled = false;
    }
  };
  const tunnelField = fixedTunnel
    ? h("input", { type: "hidden", name: "tunnel", value: fixedTunnel })
    : h("div", { class: "field" }, h("label", { for: "route-tunnel" }, "Tunnel"),
      h("select", { id: "route-tunnel", name: "tunnel", required: true }, tunnels.map((t) => h("option", { value: t.id }, t.name))));
  return h("section", { class: "panel action", "aria-labelledby": "route-title" },
    h("h2", { id: "route-title" }, "Create a route"),
    h("form", { class: "inline", id: "route-form", onsubmit: submit },
      tunnelField,
      h("div", { class: "field" }, h("label", { for: "route-hostname" }, "Hostname"),
        h("input", { id: "route-hostname", name: "hostname", required: true, placeholder: "app.example.com", autocomplete: "off" })),
      h("div", { class: "field" }, h("label", { for: "route-type" }, "Type"),
        h("select", { id: "route-type", name: "type" }, h("option", { value: "dns" }, "HTTP(S)"), h("option", { value: "tcp" }, "TCP"))),
      h("div", { class: "field" }, h("label", { for: "route-port" }, "Public TCP port (TCP only)"),
        h("input", { id: "route-port", name: "port", type: "number", min: 1, max: 65535, inputmode: "numeric" })),
      h("button", { type: "submit", id: "route-create" }, "Create route")),
    error);
}

async function tunnelPage(id) {
  const [tunnel, stats] = await Promise.all([
    api("GET", `/api/v1/tunnels/${encodeURIComponent(id)}`), api("GET", "/api/v1/metrics"),
  ]);
  const write = canWrite();
  const routes = tunnel.routes.map((r) => h("tr", { "data-route": r.hostname },
    h("td", {}, r.hostname),
    h("td", {}, r.port ? `TCP :${r.port}` : r.require_token ? "TCP (token)" : "HTTP(S)"),
    h("td", {}, r.policy || "open"),
    write ? h("td", {}, h("button", { type: "button", class: "danger action", "aria-label": `Delete route ${r.hostname}`,
      onclick: () => act(`Delete the route for ${r.hostname}?`, "DELETE", `/api/v1/routes/${encodeURIComponent(r.hostname)}`) }, "Delete")) : null));
  const connectors = new Map();
  for (const x of tunnel.sessions) {
    if (!connectors.has(x.connector_id)) connectors.set(x.connector_id, []);
    connectors.get(x.connector_id).push(x);
  }
  const connectorPanels = [...connectors.entries()].map(([cid, list]) => h("section", { class: "panel connector", "data-connector": cid, "aria-label": `Connector ${cid}` },
    h("h2", {}, "Connector ", h("span", { class: "mono" }, cid), ` · ${list[0].version}`),
    write ? h("p", {}, h("button", { type: "button", class: "danger action", "aria-label": `Drain connector ${cid}`,
      onclick: () => act("Drain this connector's sessions? New requests go to its other replicas; it reconnects once its streams end.", "POST", `/api/v1/connectors/${encodeURIComponent(cid)}/drain`) }, "Drain sessions")) : null,
    table("Its sessions", [["Edge"], ["#", "num"], ["Age"], ["RTT", "num"]], list.map((x) => h("tr", { "data-session": x.session_id },
      h("td", { class: "mono" }, x.edge_id), h("td", { class: "num" }, x.conn_index),
      h("td", {}, ago(x.age_secs)), h("td", { class: "num" }, x.rtt_ms === null ? "–" : `${fixed(x.rtt_ms, 1)} ms`))), "")));
  const errors = stats.flatMap((e) => e.errors.filter((x) => x.tunnel_id === tunnel.id).map((x) => ({ ...x, edge: e.edge_id })))
    .sort((a, b) => b.at - a.at).slice(0, 20);
  return h("div", { id: "tunnel", "data-id": tunnel.id },
    h("p", {}, h("a", { href: "#/" }, "← Overview")),
    h("h1", {}, `Tunnel ${tunnel.name}`),
    h("p", { class: "mono" }, tunnel.id),
    h("div", { class: "cards" }, card("Routes", tunnel.routes.length, "routes"), card("Connectors", connectors.size, "connectors"),
      card("Sessions", tunnel.sessions.length, "sessions"), card("Keys", tunnel.keys, "keys")),
    h("section", { class: "panel", "aria-labelledby": "routes-title" }, h("h2", { id: "routes-title" }, "Routes"),
      table("Hostnames routed to this tunnel", [["Hostname"], ["Kind"], ["Policy"], ...(write ? [["", ""]] : [])], routes, "No routes.")),
    write ? routeForm([tunnel], tunnel.id) : null,
    h("h2", {}, "Connectors"),
    connectorPanels.length ? h("div", { class: "grid2", id: "connectors" }, connectorPanels) : h("p", { class: "empty", id: "connectors" }, "No connector is connected."),
    h("section", { class: "panel", "aria-labelledby": "errors-title" }, h("h2", { id: "errors-title" }, "Recent errors"),
      table("Error pages the edges answered for this tunnel", [["Time"], ["Edge"], ["Status", "num"], ["Cause"]],
        errors.map((x) => h("tr", {}, h("td", {}, time(x.at)), h("td", { class: "mono" }, x.edge), h("td", { class: "num" }, x.status), h("td", {}, x.cause))),
        "No errors recently.")));
}

async function act(question, method, path) {
  if (!window.confirm(question)) return;
  try {
    await api(method, path);
    say("Done.");
    refresh();
  } catch (e) {
    say(e.message);
    window.alert(e.message);
  }
}

async function edgesPage() {
  const [edges, stats] = await Promise.all([api("GET", "/api/v1/edges"), api("GET", "/api/v1/metrics")]);
  const rows = edges.map((e) => h("tr", { "data-edge": e.id },
    h("td", { class: "mono" }, e.id),
    h("td", {}, h("span", { class: `badge ${e.draining ? "draining" : "live"}` }, e.draining ? "draining" : "live")),
    h("td", { class: "num" }, e.sessions),
    h("td", { class: "num" }, e.streams === null ? "–" : e.streams),
    h("td", { class: "mono hide-narrow" }, e.tunnel_address || "–"),
    h("td", { class: "hide-narrow" }, e.addresses.join(", ") || "–")));
  const series = (field) => stats.map((e) => ({ name: e.edge_id, points: rates([e], field) }));
  return h("div", { id: "edges" },
    h("h1", {}, "Edges"),
    h("section", { class: "panel" }, table("Live edges", [["Edge"], ["State"], ["Sessions", "num"], ["Streams", "num"], ["Tunnel address", "hide-narrow"], ["Public addresses", "hide-narrow"]], rows, "No live edge.")),
    h("div", { class: "grid2" }, plot("Requests per second, by edge", "req/s", series("requests")), plot("5xx per second, by edge", "/s", series("errors"))));
}

// --- Start -------------------------------------------------------------------------------------

document.getElementById("login-form").addEventListener("submit", login);
document.getElementById("logout").addEventListener("click", logout);
window.addEventListener("hashchange", () => render());
start().catch((e) => { if (e.status !== 401) showLogin(e.message); });
