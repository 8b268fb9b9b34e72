// A Node.js service: GET / counts a hit in memory and answers "hits N".
const http = require("http");
let hits = 0;
http.createServer((request, response) => {
  hits += 1;
  response.writeHead(200, { "Content-Type": "text/plain", Connection: "close" });
  response.end(`hits ${hits}\n`);
}).listen(8080, "0.0.0.0", () => console.log("serving on 8080"));
