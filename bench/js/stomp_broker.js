// Peer for STOMP fan-out: stomp-broker-js under Node, on /ws.
//   node bench/js/stomp_broker.js 8093 [sockjs]
// With `sockjs`, over sockjs-node (stomp-broker-js's `protocol: "sockjs"`): clients open
// SockJS sessions under /ws (/ws/{server}/{session}/xhr_streaming, xhr_send, ...).
// Clients SUBSCRIBE to /topic/query-execution; GET /publish?count=N sends N events (the same
// JSON shape as quart_app's) to that topic, yielding to the event loop after each; &rate=R
// paces them at R per second, each with its send time (metadata.sentAt, epoch seconds).
const http = require("http");
const StompServer = require("stomp-broker-js");

const port = Number(process.argv[2]);
const server = http.createServer((request, response) => {
  const url = new URL(request.url, "http://localhost");
  if (url.pathname !== "/publish") {
    response.writeHead(404).end();
    return;
  }
  const count = Number(url.searchParams.get("count"));
  const rate = Number(url.searchParams.get("rate") || 0);
  const started = performance.now();
  let index = 0;
  const next = () => {
    if (index >= count) return;
    const metadata = { rowsFetched: index };
    if (rate) metadata.sentAt = (performance.timeOrigin + performance.now()) / 1000;
    const body = JSON.stringify({
      eventId: index + 1, requestId: "bench-0123456789ab", topic: "query-execution",
      status: "progress", stage: "fetching", message: `Fetched ${index} rows`, progress: 50,
      sequence: index + 1, timestamp: "2026-11-25T18:40:00.123Z", metadata,
    });
    stomp.send("/topic/query-execution", { "content-type": "application/json" }, body);
    index += 1;
    if (rate) setTimeout(next, Math.max(0, started + (index * 1000) / rate - performance.now()));
    else setImmediate(next);
  };
  setImmediate(next);
  response.writeHead(200).end("publishing\n");
});
// sockjs-node installs its handlers in front of the server's own: /publish still reaches it.
const protocol = process.argv[3] === "sockjs" ? "sockjs" : "ws";
const stomp = new StompServer({ server, path: "/ws", heartbeat: [0, 0], protocol });
server.listen(port, "127.0.0.1");
