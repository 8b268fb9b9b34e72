// GET / counts a hit in memory and answers "hits N"; GET /ready counts nothing.
long hits = 0;
WebApplication app = WebApplication.CreateBuilder(args).Build();
app.MapGet("/", () => $"hits {Interlocked.Increment(ref hits)}\n");
app.MapGet("/ready", () => "ready\n");
app.Run("http://0.0.0.0:8080");
