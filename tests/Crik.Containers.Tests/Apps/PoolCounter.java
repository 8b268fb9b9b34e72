// A JVM service whose thread pool grows all the time: GET / counts a hit in memory and answers "hits N" (GET /ready
// answers "ready"), each request on a pool thread; and a new thread that lives for ten seconds starts every 100 ms,
// so that threads made after a restore are alive at the next checkpoint.
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

public class PoolCounter {
    public static void main(String[] args) throws Exception {
        AtomicLong hits = new AtomicLong();
        HttpServer server = HttpServer.create(new InetSocketAddress(8080), 0);
        server.setExecutor(Executors.newCachedThreadPool());
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
        while (true) {
            Thread worker = new Thread(() -> {
                try {
                    Thread.sleep(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            worker.setDaemon(true);
            worker.start();
            Thread.sleep(100);
        }
    }
}
