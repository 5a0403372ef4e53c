// The notebook panel for one request. In browser mode the model's front end follows the
// request itself (EventSource, or STOMP over /ws), so the panel stays live while the kernel
// is busy, and writes what it sees back to the model so that a saved notebook keeps the
// outcome. In kernel mode the kernel sets the same traits from the running cell.
// `reduce` mirrors ProgressWidget.apply in progress.py; the two must stay in step.

const TERMINAL = new Set(["success", "error", "cancelled"]);
const CONVERT_SHARE = 30;
const SAVE_EVERY_MS = 300;
const RETRY_MS = 3000;
const STAGES = {
  "nl-to-sql": ["received", "introspecting-schema", "building-prompt", "generating", "validating", "completed"],
  "query-execution": ["received", "validating", "planning", "executing", "fetching", "completed"],
};
const LABELS = {
  "introspecting-schema": "schema",
  "building-prompt": "prompt",
  completed: "done",
};
const TRAITS = [
  "status", "stage", "topic", "message", "progress", "timeline", "sql", "interpretation",
  "estimated_rows", "rows_fetched", "row_count", "truncated", "error", "started_at",
  "finished_at", "duration_ms", "preview", "connection", "chart_kinds", "chart_kind",
];
const CHART_LABELS = { line: "Line", bar: "Bar", scatter: "Scatter", number: "Number", table: "Table" };

// Events into traits -------------------------------------------------------------

function overall(topic, progress, executes) {
  if (!executes) return progress;
  if (topic === "nl-to-sql") return Math.floor((progress * CONVERT_SHARE) / 100);
  return CONVERT_SHARE + Math.floor((progress * (100 - CONVERT_SHARE)) / 100);
}

function withStage(timeline, event) {
  const entry = { topic: event.topic, stage: event.stage, status: event.status, message: event.message, at: event.timestamp };
  const position = timeline.findIndex((seen) => seen.topic === entry.topic && seen.stage === entry.stage);
  if (position < 0) return [...timeline, entry];
  const updated = [...timeline];
  updated[position] = { ...entry, at: timeline[position].at };
  return updated;
}

/** Whether this event is the request's last: an nl-to-sql success is not when the SQL then runs. */
function endsRequest(event, executes) {
  return event.status !== "progress" &&
    (event.status !== "success" || event.topic === "query-execution" || !executes);
}

/** The trait changes one event makes, given the model's current values. */
export function reduce(get, event) {
  if (event.eventId <= get("last_event_id")) return null;
  const metadata = event.metadata || {};
  const changes = { last_event_id: event.eventId, timeline: withStage(get("timeline"), event) };
  if (!get("started_at")) changes.started_at = event.timestamp;
  const sql = metadata.partialSql || metadata.sql;
  if (sql && (event.topic === "nl-to-sql" || !get("sql"))) changes.sql = sql;
  if (event.topic === "nl-to-sql" && metadata.interpretation) changes.interpretation = metadata.interpretation;
  if ("estimatedRows" in metadata) changes.estimated_rows = metadata.estimatedRows;
  if ("rowsFetched" in metadata) changes.rows_fetched = metadata.rowsFetched;
  if ("rowCount" in metadata) {
    changes.row_count = metadata.rowCount;
    changes.truncated = Boolean(metadata.truncated);
  }
  if (TERMINAL.has(get("status"))) return changes;
  Object.assign(changes, { topic: event.topic, stage: event.stage, message: event.message });
  if (event.progress !== null) changes.progress = overall(event.topic, event.progress, get("executes"));
  if (!endsRequest(event, get("executes"))) {
    changes.status = "running";
    return changes;
  }
  changes.status = event.status;
  changes.finished_at = event.timestamp;
  const started = changes.started_at || get("started_at");
  changes.duration_ms = Date.parse(event.timestamp) - Date.parse(started);
  if (event.status !== "success") changes.error = metadata.error || { code: event.status, message: "" };
  return changes;
}

// Following the request from the browser ---------------------------------------------

function endpoint(model, path) {
  return model.get("url").replace(/\/+$/, "") + path;
}

function requestPath(model) {
  return encodeURIComponent(model.get("request_id"));
}

/** Writes trait changes locally at once and to the kernel at most every SAVE_EVERY_MS. */
function writer(model) {
  let timer = null;
  const flush = () => {
    clearTimeout(timer);
    timer = null;
    model.save_changes();
  };
  return {
    set(changes, now = false) {
      if (!changes) return;
      for (const [key, value] of Object.entries(changes)) model.set(key, value);
      if (now || TERMINAL.has(model.get("status"))) flush();
      else timer ??= setTimeout(flush, SAVE_EVERY_MS);
    },
    flush,
  };
}

function followSse(model, write, onEvent) {
  const url = endpoint(model, `/sse/topic/requests/${requestPath(model)}?lastEventId=${model.get("last_event_id")}`);
  const source = new EventSource(url);
  source.onopen = () => write.set({ connection: "live" });
  source.addEventListener("status", (message) => onEvent(JSON.parse(message.data)));
  source.onerror = () => {
    if (source.readyState === EventSource.CONNECTING) write.set({ connection: "reconnecting" });
    else onClosed();
  };
  let closed = false;
  // The stream ends once the job is over (the reconnect then gets 204), or it was never
  // allowed (CORS, server down): the job itself says which.
  async function onClosed() {
    if (closed) return;
    source.close();
    if (TERMINAL.has(model.get("status"))) return;
    try {
      const response = await fetch(endpoint(model, `/api/jobs/${requestPath(model)}`));
      const job = response.ok ? await response.json() : null;
      if (job && TERMINAL.has(job.status) && !TERMINAL.has(model.get("status"))) {
        write.set({
          status: job.status,
          stage: { success: "completed", error: "failed", cancelled: "cancelled" }[job.status],
          error: job.error || {},
          row_count: job.rowCount ?? model.get("row_count"),
          connection: "done",
        }, true);
        return;
      }
      if (job) write.set({ connection: "reconnecting" });
    } catch {
      write.set({ connection: "unreachable" });
    }
    if (!closed) retry = setTimeout(() => { if (!closed) inner = followSse(model, write, onEvent); }, RETRY_MS);
  }
  let retry = null;
  let inner = null;
  return () => {
    closed = true;
    clearTimeout(retry);
    source.close();
    inner?.();
  };
}

// STOMP header values escape backslash, CR, LF and colon (requestIds may hold colons).
function escapeHeader(value) {
  return String(value).replace(/[\\\r\n:]/g, (c) => ({ "\\": "\\\\", "\r": "\\r", "\n": "\\n", ":": "\\c" })[c]);
}

// A receive-only STOMP 1.2 subscriber: the panel has to be one ES module that loads
// with no network access, and it needs four frames of the protocol, not a client library.
function followStomp(model, write, onEvent) {
  const url = endpoint(model, "/ws").replace(/^http/, "ws");
  let socket = null;
  let retry = null;
  let closed = false;
  let buffer = "";
  const send = (command, headers) =>
    socket.send(`${command}\n${Object.entries(headers).map(([k, v]) => `${k}:${v}`).join("\n")}\n\n\0`);
  function frame(text) {
    const raw = text.replace(/^[\r\n]+/, "");
    if (!raw) return;
    const split = raw.indexOf("\n\n");
    const lines = raw.slice(0, split < 0 ? raw.length : split).split("\n");
    const command = lines.shift().replace(/\r$/, "");
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)]));
    const body = split < 0 ? "" : raw.slice(split + 2);
    if (command === "CONNECTED") {
      write.set({ connection: "live" });
      send("SUBSCRIBE", {
        id: "0",
        destination: escapeHeader(`/topic/requests/${model.get("request_id")}`),
        "last-event-id": String(model.get("last_event_id")),
        ack: "auto",
      });
    } else if (command === "MESSAGE") {
      onEvent(JSON.parse(body));
    } else if (command === "ERROR") {
      write.set({ connection: `refused: ${headers.message || "error"}` });
    }
  }
  function connect() {
    buffer = "";
    socket = new WebSocket(url, ["v12.stomp"]);
    socket.onopen = () =>
      send("CONNECT", { "accept-version": "1.2", host: new URL(url).host, "heart-beat": "0,0" });
    socket.onmessage = (message) => {
      buffer += message.data;
      let end;
      while ((end = buffer.indexOf("\0")) >= 0) {
        frame(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
      }
    };
    socket.onclose = () => {
      if (closed || TERMINAL.has(model.get("status"))) return;
      write.set({ connection: "reconnecting" });
      retry = setTimeout(connect, RETRY_MS);
    };
  }
  connect();
  return () => {
    closed = true;
    clearTimeout(retry);
    if (socket?.readyState === WebSocket.OPEN) send("DISCONNECT", {});
    socket?.close();
  };
}

async function loadPreview(model, write) {
  const response = await fetch(endpoint(model, `/api/jobs/${requestPath(model)}/result`));
  if (!response.ok) return;
  const result = await response.json();
  const numeric = result.columns.map((column) => /^(int|float|numeric|money|oid)/.test(column.type));
  write.set({
    preview: {
      columns: result.columns.map((column) => column.name),
      numeric,
      rows: result.rows.slice(0, 10).map((row) => row.map((value) => (value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value)))),
      rowCount: result.rowCount,
      truncated: result.truncated,
    },
  }, true);
}

function follow(model) {
  const write = writer(model);
  let stop = () => {};
  const onEvent = (event) => {
    write.set(reduce((key) => model.get(key), event));
    if (!endsRequest(event, model.get("executes"))) return;
    write.flush();
    stop();
    if (model.get("status") === "success" && model.get("kind") !== "convert" && !model.get("preview").columns) {
      loadPreview(model, write).catch(() => {});
    }
  };
  const transport = model.get("transport") === "stomp" ? followStomp : followSse;
  stop = transport(model, write, onEvent);
  return () => {
    stop();
    write.flush();
  };
}

// Cancel: straight to the server; through the kernel when the server is out of reach.
async function cancel(model) {
  try {
    const response = await fetch(endpoint(model, `/api/jobs/${requestPath(model)}/cancel`), {
      method: "POST",
      signal: AbortSignal.timeout(3000),
    });
    if (response.status !== 404) return;
  } catch {
    // unreachable from the browser
  }
  model.send({ type: "cancel" });
}

// Rendering --------------------------------------------------------------------------

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const number = new Intl.NumberFormat("en");

function seconds(ms) {
  return ms < 10000 ? `${(ms / 1000).toFixed(1)} s` : ms < 120000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

function stageList(model) {
  const timeline = model.get("timeline");
  const topics = model.get("kind") === "run" ? ["query-execution"]
    : model.get("kind") === "convert" || !model.get("executes") ? ["nl-to-sql"]
    : ["nl-to-sql", "query-execution"];
  const list = element("ol", "qa-stages");
  for (const topic of topics) {
    const expected = [...STAGES[topic]];
    const seen = timeline.filter((entry) => entry.topic === topic);
    if (seen.some((entry) => entry.stage === "correcting")) expected.splice(expected.indexOf("validating") + 1, 0, "correcting");
    const end = seen.find((entry) => entry.status !== "progress");
    if (end) expected[expected.length - 1] = end.stage;
    for (const stage of expected) {
      const entry = seen.find((candidate) => candidate.stage === stage);
      const item = element("li", "", LABELS[stage] || stage);
      item.dataset.topic = topic;
      item.dataset.stage = stage;
      const current = model.get("topic") === topic && model.get("stage") === stage && !TERMINAL.has(model.get("status"));
      item.dataset.state = !entry ? "pending" : current ? "current" : entry.status === "progress" || entry.status === "success" ? "done" : entry.status;
      if (entry) item.title = entry.message;
      list.append(item);
    }
  }
  return list;
}

function rows(count) {
  return `${number.format(count)} row${count === 1 ? "" : "s"}`;
}

function rowsLine(model) {
  const status = model.get("status");
  if (TERMINAL.has(status)) return status === "success" && model.get("truncated") ? "truncated at maxRows" : "";
  const fetched = model.get("rows_fetched");
  const estimated = model.get("estimated_rows");
  if (model.get("topic") !== "query-execution") return "";
  if (fetched === null) return estimated !== null ? `about ${rows(estimated)} expected` : "";
  return `${rows(fetched)}${estimated !== null ? ` of about ${number.format(estimated)}` : ""} fetched`;
}

function previewTable(preview) {
  const wrap = element("div", "qa-preview");
  const table = element("table");
  const head = table.createTHead().insertRow();
  preview.columns.forEach((name, i) => {
    const th = element("th", preview.numeric[i] ? "qa-num" : "", name);
    head.append(th);
  });
  const body = table.createTBody();
  for (const row of preview.rows) {
    const tr = body.insertRow();
    row.forEach((value, i) => tr.append(element("td", preview.numeric[i] ? "qa-num" : "", value)));
  }
  wrap.append(table);
  if (preview.rowCount > preview.rows.length) {
    wrap.append(element("div", "qa-muted", `first ${preview.rows.length} of ${rows(preview.rowCount)}`));
  }
  return wrap;
}

// The chart under the panel is the kernel's to draw (a Vega-Lite output JupyterLab
// renders itself, kept in a saved notebook): these buttons only say which one.
function chartSwitch(model) {
  const group = element("div", "qa-chart-switch");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Show the result as");
  for (const kind of model.get("chart_kinds")) {
    const button = element("button", "", CHART_LABELS[kind] ?? kind);
    button.type = "button";
    button.dataset.kind = kind;
    button.setAttribute("aria-pressed", String(kind === model.get("chart_kind")));
    button.onclick = () => {
      model.set("chart_kind", kind);
      model.save_changes();
    };
    group.append(button);
  }
  return group;
}

function render({ model, el }) {
  const root = element("div", "qa-panel");
  el.append(root);
  // Elapsed time ticks from the last event's server timestamp plus local time since it
  // arrived, so a clock difference between browser and server does not show.
  let anchor = { server: null, local: 0 };
  let cancelling = false;
  const elapsed = element("span", "qa-elapsed");
  function tick() {
    const status = model.get("status");
    if (TERMINAL.has(status)) {
      const ms = model.get("duration_ms");
      elapsed.textContent = ms === null ? "" : seconds(ms);
    } else if (model.get("started_at") && anchor.server !== null) {
      elapsed.textContent = seconds(anchor.server - Date.parse(model.get("started_at")) + (Date.now() - anchor.local));
    } else {
      elapsed.textContent = "";
    }
  }
  function draw() {
    const status = model.get("status");
    const timeline = model.get("timeline");
    const latest = timeline.length ? Date.parse(timeline.reduce((a, b) => (a.at > b.at ? a : b)).at) : null;
    if (latest !== anchor.server) anchor = { server: latest, local: Date.now() };
    root.dataset.status = status;
    root.replaceChildren();

    const head = element("div", "qa-head");
    head.append(element("span", "qa-badge", status), element("span", "qa-title", model.get("title")), elapsed);
    if (!TERMINAL.has(status)) {
      const button = element("button", "qa-cancel", cancelling ? "Cancelling…" : "Cancel");
      button.type = "button";
      button.disabled = cancelling;
      button.onclick = () => {
        cancelling = true;
        draw();
        cancel(model);
      };
      head.append(button);
    }
    root.append(head);

    const bar = element("div", "qa-bar");
    const fill = element("div");
    const progress = status === "success" ? 100 : model.get("progress");
    const unknown = !TERMINAL.has(status) && (progress === null ||
      (model.get("topic") === "query-execution" && ["executing", "fetching"].includes(model.get("stage")) && model.get("estimated_rows") === null));
    bar.dataset.indeterminate = String(unknown);
    fill.style.width = unknown ? "" : `${progress ?? 0}%`;
    bar.append(fill);
    bar.setAttribute("role", "progressbar");
    if (!unknown) bar.setAttribute("aria-valuenow", String(progress ?? 0));
    root.append(bar, stageList(model));

    const line = element("div", "qa-line");
    const message = element("span", "qa-message", TERMINAL.has(status) && status !== "success" ? "" : model.get("message"));
    const rows = element("span", "qa-rows", rowsLine(model));
    line.append(message, rows);
    root.append(line);

    if (model.get("sql")) root.append(element("pre", "qa-sql", model.get("sql")));
    if (model.get("interpretation")) root.append(element("div", "qa-interpretation", model.get("interpretation")));
    const error = model.get("error");
    if (error && error.code) root.append(element("div", "qa-error", `${error.code}: ${error.message}`));
    const preview = model.get("preview");
    if (preview && preview.columns) root.append(previewTable(preview));
    if (model.get("chart_kinds").length) root.append(chartSwitch(model));

    const foot = element("div", "qa-foot qa-muted");
    const connection = model.get("mode") === "kernel" ? "updated by the kernel" : model.get("connection");
    foot.textContent = `${model.get("request_id")}${connection && !TERMINAL.has(status) ? ` · ${connection}` : ""}`;
    root.append(foot);
    tick();
  }
  for (const trait of TRAITS) model.on(`change:${trait}`, draw);
  draw();
  const ticker = setInterval(tick, 100);
  return () => {
    clearInterval(ticker);
    for (const trait of TRAITS) model.off(`change:${trait}`, draw);
  };
}

export default {
  initialize({ model }) {
    if (model.get("mode") !== "browser" || !model.get("request_id")) return;
    // A reopened notebook shows what was saved; a request the kernel saw end before this
    // front end loaded is still replayed, for its stages.
    if (TERMINAL.has(model.get("status")) && model.get("timeline").length) return;
    return follow(model);
  },
  render,
};
