// The live dashboard: one EventSource per topic for the feed, one for the request being
// followed. EventSource reconnects by itself and resumes with Last-Event-ID; the request
// being followed is kept in sessionStorage and replayed from its first event after a
// reload, so nothing is lost.
const $ = (selector) => document.querySelector(selector);
const FOLLOWED = "quart_app.followed";
const feedLimit = 60;
// With QUART_APP_API_TOKEN set, open the page as /?access_token=<token>: the token goes
// with every call (EventSource cannot send headers, so it rides in the query string).
const TOKEN = new URLSearchParams(location.search).get("access_token");

function withToken(path) {
  if (!TOKEN) return path;
  return `${path}${path.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(TOKEN)}`;
}

function api(path, options = {}) {
  const headers = { ...(options.headers || {}), ...(TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {}) };
  return fetch(path, { ...options, headers });
}

function text(value) {
  return value === null || value === undefined ? "" : String(value);
}

function cell(row, value, className) {
  const td = row.insertCell();
  td.textContent = text(value);
  if (className) td.className = className;
  return td;
}

// Live feed of both topics ---------------------------------------------------
const sources = [];
function watchTopics() {
  for (const topic of ["nl-to-sql", "query-execution"]) {
    const source = new EventSource(withToken(`/sse/topic/${topic}`));
    source.onopen = () => setConnection();
    source.onerror = () => setConnection();
    source.addEventListener("status", (message) => {
      const event = JSON.parse(message.data);
      addToFeed(event);
      if (event.status !== "progress") scheduleJobsRefresh();
    });
    sources.push(source);
  }
}

function setConnection() {
  const badge = $("#connection");
  const open = sources.every((source) => source.readyState === EventSource.OPEN);
  badge.dataset.state = open ? "live" : "down";
  badge.textContent = open ? "live" : "reconnecting…";
}

function addToFeed(event) {
  const feed = $("#feed");
  const item = document.createElement("li");
  item.dataset.eventId = event.eventId;
  for (const value of [`#${event.eventId}`, event.requestId.slice(0, 12), `${event.topic} · ${event.stage}`, event.message]) {
    const span = document.createElement("span");
    span.textContent = value;
    item.append(span);
  }
  item.firstChild.className = "muted";
  feed.prepend(item);
  while (feed.children.length > feedLimit) feed.lastChild.remove();
}

// Recent jobs ------------------------------------------------------------------
let refreshTimer = null;
function scheduleJobsRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshJobs, 150);
}

async function refreshJobs() {
  const response = await api("/api/jobs?limit=20");
  if (!response.ok) return;
  const { jobs } = await response.json();
  const body = $("#jobs tbody");
  body.replaceChildren();
  for (const job of jobs) {
    const row = body.insertRow();
    row.dataset.requestId = job.requestId;
    cell(row, job.requestId.slice(0, 12));
    cell(row, job.topic);
    const status = cell(row, "");
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.dataset.status = job.status;
    badge.textContent = job.status;
    status.append(badge);
    cell(row, `${job.durationMs} ms`);
    cell(row, job.rowCount);
    cell(row, job.question || job.sql, "text").title = text(job.question || job.sql);
  }
}

// The followed request -----------------------------------------------------------
let followed = null;

function follow(requestId) {
  if (followed) followed.source.close();
  sessionStorage.setItem(FOLLOWED, requestId);
  const events = new Map();
  // lastEventId=0 replays the request from its first event, so that a reload loses nothing.
  const source = new EventSource(withToken(`/sse/topic/requests/${encodeURIComponent(requestId)}?lastEventId=0`));
  followed = { requestId, source, events };
  $("#current").hidden = false;
  $("#current-id").textContent = requestId;
  $("#current-stages").replaceChildren();
  $("#current-sql").textContent = "";
  $("#current-interpretation").textContent = "";
  $("#current-outcome").textContent = "";
  $("#current-result").replaceChildren();
  setStatus("running");
  source.addEventListener("status", (message) => {
    const event = JSON.parse(message.data);
    if (events.has(event.eventId)) return;
    events.set(event.eventId, event);
    render(event);
  });
  source.onerror = () => {
    // A finished request's stream ends; the browser's reconnect then gets 204 and stops.
    if (source.readyState === EventSource.CLOSED && followed?.source === source) source.close();
  };
}

function setStatus(status) {
  const badge = $("#current-status");
  badge.dataset.status = status;
  badge.textContent = status;
}

function render(event) {
  const item = document.createElement("li");
  item.dataset.eventId = event.eventId;
  item.dataset.stage = event.stage;
  for (const value of [`#${event.sequence}`, `${event.topic === "nl-to-sql" ? "nl" : "sql"} · ${event.stage}`, event.message]) {
    const span = document.createElement("span");
    span.textContent = value;
    item.append(span);
  }
  item.firstChild.className = "muted";
  $("#current-stages").append(item);
  if (event.progress !== null) $("#current-progress").style.width = `${event.progress}%`;
  const sql = event.metadata.partialSql ?? event.metadata.sql;
  if (sql) $("#current-sql").textContent = sql;
  const { interpretation } = event.metadata;
  if (event.topic === "nl-to-sql" && interpretation) $("#current-interpretation").textContent = interpretation;
  if (event.status === "progress") return;
  const last = event.topic === "query-execution" || event.status !== "success";
  if (!last && !followed.executes) return;
  if (event.status === "success" && event.topic === "nl-to-sql" && followed.executes) return;
  setStatus(event.status);
  if (event.status === "success") {
    const { rowCount, truncated, durationMs } = event.metadata;
    $("#current-outcome").textContent =
      rowCount === undefined
        ? `SQL ready in ${durationMs} ms`
        : `${rowCount} row${rowCount === 1 ? "" : "s"}${truncated ? " (truncated)" : ""} in ${durationMs} ms`;
    if (rowCount !== undefined) showResult(followed.requestId);
  } else {
    const error = event.metadata.error || {};
    $("#current-outcome").textContent = `${error.code}: ${error.message}`;
  }
  scheduleJobsRefresh();
}

async function showResult(requestId) {
  const response = await api(`/api/jobs/${encodeURIComponent(requestId)}/result`);
  if (!response.ok) return;
  const result = await response.json();
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const column of result.columns) head.append(Object.assign(document.createElement("th"), { textContent: column.name }));
  const body = table.createTBody();
  for (const row of result.rows.slice(0, 50)) {
    const tr = body.insertRow();
    for (const value of row) cell(tr, typeof value === "object" && value !== null ? JSON.stringify(value) : value);
  }
  $("#current-result").replaceChildren(table);
}

// The form ------------------------------------------------------------------------
async function submit(event) {
  event.preventDefault();
  const mode = event.submitter?.value || "ask";
  const input = $("#request-text").value.trim();
  if (!input) return;
  const requestId = crypto.randomUUID();
  const maxRows = Number($("#max-rows").value) || 1000;
  follow(requestId);
  followed.executes = true;
  const [path, body] = mode === "sql"
    ? ["/api/query-execution/execute", { sql: input, requestId, maxRows }]
    : ["/api/nl-to-sql/convert", { question: input, requestId, execute: true, maxRows }];
  const response = await api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Prefer: "respond-async" },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    const { error } = await response.json();
    setStatus("error");
    $("#current-outcome").textContent = `${error.code}: ${error.message}`;
  }
}

$("#request-form").addEventListener("submit", submit);
watchTopics();
refreshJobs();
const previous = sessionStorage.getItem(FOLLOWED);
if (previous) {
  follow(previous);
  followed.executes = true;
}
