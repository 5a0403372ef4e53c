// Follows one request with @stomp/stompjs over `ws`, the way a browser app would:
// make a requestId, subscribe, SEND, collect events until the terminal one.
// Usage: node stomp_client.mjs ws://127.0.0.1:PORT/ws REQUEST_ID 'SQL'
// Prints {"connected": headers, "receipt": headers, "messages": [{headers, body}]}.
import { Client } from "@stomp/stompjs";
import WebSocket from "ws";

const [url, requestId, sql] = process.argv.slice(2);
const result = { connected: null, receipt: null, messages: [] };
const timer = setTimeout(() => fail("timed out"), 20000);

function fail(message) {
  console.error(message);
  process.exit(1);
}

const client = new Client({
  webSocketFactory: () => new WebSocket(url, ["v12.stomp", "v11.stomp", "v10.stomp"]),
  reconnectDelay: 0,
  heartbeatIncoming: 4000,
  heartbeatOutgoing: 4000,
  onStompError: (frame) => fail(`STOMP error: ${frame.headers.message} ${frame.body}`),
  onWebSocketError: () => fail("WebSocket error"),
});

client.onConnect = (frame) => {
  result.connected = frame.headers;
  client.subscribe(`/topic/requests/${requestId}`, (message) => {
    const body = JSON.parse(message.body);
    result.messages.push({ headers: message.headers, body });
    if (body.status !== "progress") {
      clearTimeout(timer);
      client.deactivate().then(() => {
        console.log(JSON.stringify(result));
        process.exit(0);
      });
    }
  });
  client.watchForReceipt("go", (receipt) => {
    result.receipt = receipt.headers;
  });
  client.publish({
    destination: "/app/query-execution/execute",
    body: JSON.stringify({ sql, requestId }),
    headers: { receipt: "go", "content-type": "application/json" },
  });
};

client.activate();
