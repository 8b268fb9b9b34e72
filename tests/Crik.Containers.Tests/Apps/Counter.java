// A JVM service with default settings (so it maps /tmp/hsperfdata_root/PID): GET / counts a hit in
// memory and answers "hits N"; GET /ready answers "ready" and counts nothing.
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

public class Counter {
    public static void main(String[] args) throws Exception {
        AtomicLong hits = new AtomicLong();
        HttpServer server = HttpServer.create(new InetSocketAddress(8080), 0);
        server.createContext("/", exchange -> {
            String answer = exchange.getRequestURI().getPath().equals("/ready") ? "ready" : "hits " + hits.incrementAndGet();
            byte[] body = (answer + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.println("serving on 8080");
    }
}
