// Peer for SockJS fan-out: stomp-broker-js over sockjs-node (its `protocol: "sockjs"`), on /ws.
//   node bench/js/stomp_broker_sockjs.js 8094
// The same broker and publisher as stomp_broker.js; clients open SockJS sessions under /ws
// (/ws/{server}/{session}/xhr_streaming, xhr_send, ...) instead of a plain WebSocket.
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
const stomp = new StompServer({ server, path: "/ws", heartbeat: [0, 0], protocol: "sockjs" });
server.listen(port, "127.0.0.1");
