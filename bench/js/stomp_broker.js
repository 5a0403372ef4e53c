// Peer for STOMP fan-out: stomp-broker-js under Node, on /ws.
//   node bench/js/stomp_broker.js 8093
// Clients SUBSCRIBE to /topic/query-execution; GET /publish?count=N sends N events (the same
// JSON shape as quart_app's) to that topic, yielding to the event loop after each.
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
  let index = 0;
  const next = () => {
    if (index >= count) return;
    const body = JSON.stringify({
      eventId: index + 1, requestId: "bench-0123456789ab", topic: "query-execution",
      status: "progress", stage: "fetching", message: `Fetched ${index} rows`, progress: 50,
      sequence: index + 1, timestamp: "2026-11-25T18:40:00.123Z", metadata: { rowsFetched: index },
    });
    stomp.send("/topic/query-execution", { "content-type": "application/json" }, body);
    index += 1;
    setImmediate(next);
  };
  setImmediate(next);
  response.writeHead(200).end("publishing\n");
});
const stomp = new StompServer({ server, path: "/ws", heartbeat: [0, 0] });
server.listen(port, "127.0.0.1");
