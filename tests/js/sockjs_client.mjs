// Follows one request with @stomp/stompjs over the real `sockjs-client`, held to one
// SockJS transport, the way a browser app behind a proxy would: subscribe, SEND, collect
// events until the terminal one.
// Usage:
//   node sockjs_client.mjs http://127.0.0.1:PORT/ws TRANSPORT REQUEST_ID execute 'SQL'
//   node sockjs_client.mjs http://127.0.0.1:PORT/ws TRANSPORT REQUEST_ID replay LAST_EVENT_ID
// TRANSPORT is one sockjs-client offers under Node: websocket, xhr-streaming,
// xhr-polling, eventsource. `execute` subscribes to /topic/requests/REQUEST_ID and
// SENDs the SQL there; `replay` only subscribes, with `last-event-id: LAST_EVENT_ID`,
// and waits a little after the terminal event for anything that should not come.
// Prints {"transport": the transport sockjs-client opened, "connected": headers,
// "receipt": headers, "messages": [{headers, body}], "closed": {code, reason, wasClean}}.
import { Client } from "@stomp/stompjs";
import SockJS from "sockjs-client";

const [url, transport, requestId, mode, argument] = process.argv.slice(2);
const result = { transport: null, connected: null, receipt: null, messages: [], closed: null };
const timer = setTimeout(() => fail("timed out"), 12000);
const LINGER_MS = 500;
let sock = null;
let finishing = false;

function fail(message) {
  console.error(message);
  console.error(JSON.stringify(result));
  process.exit(1);
}

const client = new Client({
  webSocketFactory: () => {
    sock = new SockJS(url, null, { transports: [transport] });
    return sock;
  },
  reconnectDelay: 0,
  heartbeatIncoming: 4000,
  heartbeatOutgoing: 4000,
  onStompError: (frame) => fail(`STOMP error: ${frame.headers.message} ${frame.body}`),
  onWebSocketError: (event) => fail(`SockJS error: ${event && event.type}`),
  onWebSocketClose: (event) => {
    result.closed = { code: event.code, reason: event.reason, wasClean: event.wasClean };
    if (!finishing) fail(`SockJS closed before the end: ${event.code} ${event.reason}`);
  },
});

function finish() {
  finishing = true;
  clearTimeout(timer);
  client.deactivate().then(() => {
    console.log(JSON.stringify(result));
    process.exit(0);
  });
}

client.onConnect = (frame) => {
  result.transport = sock.transport;
  result.connected = frame.headers;
  const headers = mode === "replay" ? { "last-event-id": argument } : {};
  client.subscribe(
    `/topic/requests/${requestId}`,
    (message) => {
      const body = JSON.parse(message.body);
      result.messages.push({ headers: message.headers, body });
      if (body.status !== "progress" && !finishing) {
        finishing = true;
        setTimeout(finish, mode === "replay" ? LINGER_MS : 0);
      }
    },
    headers,
  );
  if (mode !== "execute") return;
  client.watchForReceipt("go", (receipt) => {
    result.receipt = receipt.headers;
  });
  client.publish({
    destination: "/app/query-execution/execute",
    body: JSON.stringify({ sql: argument, requestId }),
    headers: { receipt: "go", "content-type": "application/json" },
  });
};

client.activate();
