// A Node.js service: GET / counts a hit in memory and answers "hits N"; GET /ready counts nothing.
const http = require("http");
let hits = 0;
http.createServer((request, response) => {
  response.writeHead(200, { "Content-Type": "text/plain", Connection: "close" });
  if (request.url === "/ready") {
    response.end("ready\n");
    return;
  }
  hits += 1;
  response.end(`hits ${hits}\n`);
}).listen(8080, "0.0.0.0", () => console.log("serving on 8080"));
