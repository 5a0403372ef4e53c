// The live dashboard: one EventSource per topic for the feed, one for the request being
// followed. EventSource reconnects by itself and resumes with Last-Event-ID; the request
// being followed is kept in sessionStorage and replayed from its first event after a
// reload, so nothing is lost.
const $ = (selector) => document.querySelector(selector);
const FOLLOWED = "quart_app.followed";
const feedLimit = 60;
// The service's progress for "every expected row fetched"; what follows is the result
// being kept, which no event reports.
const FETCH_END = 95;
// Rows of a result shown in its table, and the column types shown right-aligned.
const PREVIEW_ROWS = 50;
const NUMBER_TYPES = new Set(["int2", "int4", "int8", "float4", "float8", "numeric"]);
// After a fetching event that may not be the last, this long without news says so.
const QUIET_MS = 600;
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

// One row of a list of events: its number (`#…`, muted), then the other values, each
// with its text as a title, since the layout cuts long ones short.
function eventItem(event, number, values) {
  const item = document.createElement("li");
  for (const value of [`#${number}`, ...values]) {
    const span = document.createElement("span");
    span.textContent = text(value);
    span.title = span.textContent;
    item.append(span);
  }
  item.firstChild.className = "muted";
  Object.assign(item.dataset, {
    eventId: event.eventId, requestId: event.requestId, stage: event.stage, status: event.status,
    first: number, message: event.message,
  });
  return item;
}

// A conversion streams its SQL as a run of `generating` events: they are one row, whose
// text grows as the SQL does, instead of a row each. True when `item` took `event` in.
function growGenerating(item, event, number) {
  const { stage, requestId } = item?.dataset ?? {};
  if (event.stage !== "generating" || stage !== "generating" || requestId !== event.requestId) return false;
  const characters = event.metadata.partialSql.length;
  item.dataset.eventId = event.eventId;
  item.firstChild.textContent = `#${item.dataset.first}–${number}`;
  item.lastChild.textContent = `${item.dataset.message} · ${characters} character${characters === 1 ? "" : "s"}`;
  item.lastChild.title = item.lastChild.textContent;
  return true;
}

function topicLabel(event) {
  return `${event.topic === "nl-to-sql" ? "nl" : "sql"} · ${event.stage}`;
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
  if (growGenerating(feed.firstElementChild, event, event.eventId)) return;
  feed.prepend(eventItem(event, event.eventId, [event.requestId, topicLabel(event), event.message]));
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
    cell(row, job.requestId, "id").title = job.requestId;
    cell(row, job.topic).title = job.topic;
    const status = cell(row, "");
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.dataset.status = job.status;
    badge.textContent = job.status;
    status.append(badge);
    cell(row, `${job.durationMs.toLocaleString("en-US")} ms`);
    cell(row, job.rowCount?.toLocaleString("en-US"));
    cell(row, job.question || job.sql, "text").title = text(job.question || job.sql);
  }
}

// The followed request -----------------------------------------------------------
let followed = null;

// Follows a request from its first event. `sql` is what the page knows of its statement
// (Run SQL: the statement; a question: none yet, its events bring it); when it knows
// nothing (a reload), the job says, since query-execution events do not carry it.
function follow(requestId, sql) {
  if (followed) {
    followed.source.close();
    clearTimeout(followed.quiet);
  }
  sessionStorage.setItem(FOLLOWED, requestId);
  const events = new Map();
  // lastEventId=0 replays the request from its first event, so that a reload loses nothing.
  const source = new EventSource(withToken(`/sse/topic/requests/${encodeURIComponent(requestId)}?lastEventId=0`));
  followed = { requestId, source, events, quiet: null };
  $("#current").hidden = false;
  $("#current-id").textContent = requestId;
  $("#current-id").title = requestId;
  for (const id of ["#current-stages", "#current-result"]) $(id).replaceChildren();
  for (const id of ["#current-sql", "#current-interpretation", "#current-outcome"]) $(id).textContent = "";
  setProgress(0);
  setState("running", "");
  Object.assign($("#cancel-button"), { hidden: false, disabled: false, textContent: "Cancel" });
  if (sql === undefined) showJobSql(requestId);
  else $("#current-sql").textContent = sql;
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

async function showJobSql(requestId) {
  const response = await api(`/api/jobs/${encodeURIComponent(requestId)}`);
  if (!response.ok) return;
  const job = await response.json();
  // Events replayed meanwhile carry the newer SQL, if any.
  if (followed?.requestId === requestId && job.sql && !$("#current-sql").textContent) {
    $("#current-sql").textContent = job.sql;
  }
}

// The request's state: its badge, the colour of its card (CSS) and the step under way.
function setState(status, step, kind = "") {
  const badge = $("#current-status");
  badge.dataset.status = status;
  badge.textContent = status;
  $("#current").dataset.status = status;
  $("#current").dataset.step = kind;
  $("#current-step").textContent = step;
}

function setProgress(progress) {
  $("#current-progress").style.width = `${progress}%`;
}

// Ends the request on the page: success, error or cancelled, with what to say.
function finish(status, outcome) {
  clearTimeout(followed?.quiet);
  $("#cancel-button").hidden = true;
  setState(status, "");
  if (status !== "success") setProgress(100); // the whole bar in the colour of the outcome
  $("#current-outcome").textContent = outcome;
  scheduleJobsRefresh();
}

function render(event) {
  clearTimeout(followed.quiet);
  showStage(event);
  if (event.progress !== null) setProgress(event.progress);
  const sql = event.metadata.partialSql ?? event.metadata.sql;
  if (typeof sql === "string") $("#current-sql").textContent = sql;
  const { interpretation } = event.metadata;
  if (event.topic === "nl-to-sql" && interpretation) $("#current-interpretation").textContent = interpretation;
  if (event.status === "progress") {
    showStep(event);
    return;
  }
  // A question's conversion ends in success and its SQL then runs: not the end yet.
  if (event.status === "success" && event.topic === "nl-to-sql") return;
  if (event.status === "success") {
    const { rowCount, truncated, durationMs } = event.metadata;
    const cut = truncated ? ` (truncated: ${event.metadata.truncatedReason === "maxRows" ? "max rows" : "result size cap"})` : "";
    finish("success", `${rowCount.toLocaleString("en-US")} row${rowCount === 1 ? "" : "s"}${cut} in ${durationMs.toLocaleString("en-US")} ms`);
    showResult(followed.requestId, event.metadata.chart);
  } else {
    const error = event.metadata.error || {};
    finish(event.status, error.message ? `${error.code}: ${error.message}` : event.message);
  }
}

function showStage(event) {
  const stages = $("#current-stages");
  if (growGenerating(stages.lastElementChild, event, event.sequence)) return;
  stages.append(eventItem(event, event.sequence, [topicLabel(event), event.message]));
}

// What is under way. After the last fetch the service keeps the result before it says
// `completed`; no event reports that step, so the page names it.
function showStep(event) {
  if (event.stage !== "fetching") {
    setState("running", event.message);
  } else if (event.progress >= FETCH_END) {
    setState("running", "preparing result…", "preparing");
  } else {
    // The planner's estimate may be too high, so this fetch may be the last one.
    setState("running", event.message);
    followed.quiet = setTimeout(() => setState("running", `${event.message} · still working…`), QUIET_MS);
  }
}

async function showResult(requestId, chart) {
  const response = await api(`/api/jobs/${encodeURIComponent(requestId)}/result`);
  if (!response.ok || followed?.requestId !== requestId) return;
  const result = await response.json();
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const column of result.columns) head.append(Object.assign(document.createElement("th"), { textContent: column.name }));
  const numeric = result.columns.map((column) => NUMBER_TYPES.has(column.type));
  numeric.forEach((isNumber, i) => { if (isNumber) head.cells[i].className = "num"; });
  const body = table.createTBody();
  for (const row of result.rows.slice(0, PREVIEW_ROWS)) {
    const tr = body.insertRow();
    row.forEach((value, i) => cell(tr, typeof value === "object" && value !== null ? JSON.stringify(value) : value, numeric[i] ? "num" : ""));
  }
  const tableBox = Object.assign(document.createElement("div"), { className: "result-table" });
  tableBox.append(table);
  if (result.rows.length > PREVIEW_ROWS) {
    const shown = `first ${PREVIEW_ROWS} of ${result.rowCount.toLocaleString("en-US")} rows`;
    tableBox.append(Object.assign(document.createElement("p"), { className: "muted", textContent: shown }));
  }
  if (!chart) {
    $("#current-result").replaceChildren(tableBox);
    return;
  }
  const chartBox = Object.assign(document.createElement("div"), { className: "result-chart" });
  const view = Object.assign(document.createElement("div"), { className: "result-view" });
  view.append(chartBox, tableBox);
  const records = result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column.name, row[i]])));
  const kinds = chart.usermeta.kinds;
  const buttons = kinds.map((kind) => {
    const button = Object.assign(document.createElement("button"), { type: "button", textContent: kind });
    button.dataset.kind = kind;
    button.onclick = () => showChart(kind);
    return button;
  });
  const toolbar = Object.assign(document.createElement("div"), { className: "chart-switch", role: "group" });
  toolbar.setAttribute("aria-label", "Show the result as");
  toolbar.append(...buttons);
  $("#current-result").replaceChildren(toolbar, view);

  async function showChart(kind) {
    for (const button of buttons) button.setAttribute("aria-pressed", String(button.dataset.kind === kind));
    chartBox.hidden = kind === "table";
    if (kind === "table") return;
    let spec = chart;
    if (kind !== chart.usermeta.kind) {
      const answer = await api(`/api/jobs/${encodeURIComponent(requestId)}/chart?kind=${kind}`);
      if (!answer.ok) return;
      spec = await answer.json();
    }
    await drawChart(chartBox, spec, records);
  }
  await showChart(chart.usermeta.kind);
}

// Charts: vega-embed and the Vega libraries it needs come from the service itself (no
// CDN), loaded with the first chart; the spec names its data `result`, the rows.
const VEGA = ["vega-5.33.1.min.js", "vega-lite-5.23.0.min.js", "vega-embed-6.29.0.min.js"];
let vegaLoaded = null;
function loadVega() {
  vegaLoaded ??= VEGA.reduce((previous, file) => previous.then(() => new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = new URL(`vendor/vega/${file}`, import.meta.url);
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${file} did not load`));
    document.head.append(script);
  })), Promise.resolve());
  return vegaLoaded;
}

async function drawChart(box, spec, records) {
  await loadVega();
  box.embedded?.finalize();
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  const options = { renderer: "svg", actions: false, ...(dark ? { theme: "dark" } : {}) };
  box.embedded = await window.vegaEmbed(box, { ...spec, datasets: { result: records } }, options);
  box.dataset.kind = spec.usermeta.kind;
}

// The form ------------------------------------------------------------------------
async function submit(event) {
  event.preventDefault();
  const mode = event.submitter?.value || "ask";
  const input = $("#request-text").value.trim();
  if (!input) return;
  const requestId = crypto.randomUUID();
  const maxRows = Number($("#max-rows").value) || 1000;
  follow(requestId, mode === "sql" ? input : "");
  const [path, body] = mode === "sql"
    ? ["/api/query-execution/execute", { sql: input, requestId, maxRows }]
    : ["/api/nl-to-sql/convert", { question: input, requestId, execute: true, maxRows }];
  let refusal;
  try {
    const response = await api(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Prefer: "respond-async" },
      body: JSON.stringify(body),
    });
    if (response.ok) return;
    const { error } = await response.json();
    refusal = `${error.code}: ${error.message}`;
  } catch (error) {
    refusal = `the service could not be reached: ${error.message}`;
  }
  // A refused request publishes no event: nothing more to follow.
  if (followed?.requestId !== requestId) return;
  followed.source.close();
  finish("error", refusal);
}

// Cancel stops the statement in the database; the `cancelled` event then ends the
// request on the page as any other outcome does.
async function cancelFollowed() {
  const button = $("#cancel-button");
  Object.assign(button, { disabled: true, textContent: "Cancelling…" });
  const response = await api(`/api/jobs/${encodeURIComponent(followed.requestId)}/cancel`, { method: "POST" });
  if (!response.ok) button.hidden = true; // finished meanwhile (409) or gone (404)
}

$("#request-form").addEventListener("submit", submit);
$("#cancel-button").addEventListener("click", cancelFollowed);
watchTopics();
refreshJobs();
const previous = sessionStorage.getItem(FOLLOWED);
if (previous) follow(previous);
