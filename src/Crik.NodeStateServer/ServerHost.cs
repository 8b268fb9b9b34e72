using Crik.NodeStateServer.Cli;
using Crik.NodeStateServer.Http;
using Crik.NodeStateServer.Kubernetes;
using Crik.NodeStateServer.Logging;
using Crik.NodeStateServer.Observability;
using Crik.NodeStateServer.Rules;
using Crik.NodeStateServer.State;
using Crik.NodeStateServer.Sync;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Crik.Shared.Kubernetes;

namespace Crik.NodeStateServer;

/// <summary>Wires Kestrel, logging, the node watcher and the endpoints into one WebApplication.</summary>
internal static class ServerHost
{
    public static WebApplication Build(ServerOptions options, ShutdownRules rules, ClusterConnection connection)
    {
        // No args: our flags are parsed already and must not leak into ASP.NET configuration.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        var connectionCap = new ConnectionCap(options.MaxConnections);
        // Every handler answers from memory without blocking, so a request is served on the thread that read it
        // instead of being handed to the thread pool: one context switch less per request, which on a small node
        // is most of the tail latency.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            ServerLimits.Apply(kestrel.Limits);
            kestrel.Listen(options.Bind, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => connection => connectionCap.ServeAsync(connection, next));
            });
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        ConfigureLogging(builder.Logging, options);

        builder.Services.AddSingleton(rules);
        var settings = new WatcherSettings { MaxBackoff = options.MaxBackoff, SilenceLimit = options.WatchSilence, GoingAwayKept = options.GoingAwayKept };
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(_ => new NodeApi(new KubeApiClient(KubeHttpClientFactory.Create(connection), connection)));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<NodeStore>();
        builder.Services.AddSingleton(new SyncHealth(settings, TimeProvider.System));
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddSingleton(services =>
            new HeldAnswers(options.MaxConnections / 2, services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping));
        builder.Services.AddHostedService<NodeWatcher>();

        var app = builder.Build();
        app.Use(connectionCap.TrackRequestAsync);
        Endpoints.Map(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Crik.NodeStateServer");
        int heldLimit = app.Services.GetRequiredService<HeldAnswers>().Limit;
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            Log.Starting(logger, $"{options.Bind}:{options.Port}", connection.Server.AbsoluteUri, connection.Credentials, connection.Source,
                options.RulesPath ?? "the built-in defaults", options.MaxConnections, heldLimit, options.WatchSilence.TotalSeconds);
            if (heldLimit == 0)
                Log.NoHeldAnswers(logger, options.MaxConnections);
        });
        return app;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, ServerOptions options)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(options.LogLevel);
        // ASP.NET's per-request chatter is not something a user of this server cares about.
        logging.AddFilter("Microsoft.AspNetCore", options.LogLevel > LogLevel.Warning ? options.LogLevel : LogLevel.Warning);
        // With this category enabled at any level, ASP.NET starts an Activity and a log scope for every request
        // (in a JIT build 1,200 bytes a request instead of 375); it would only ever log per-request lines, which are not wanted.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // Startup failures (port in use) are reported by Program as one line; the host would add a stack trace.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        if (options.LogFormat == LogFormat.Json)
        {
            logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(text =>
            {
                text.SingleLine = true;
                text.UseUtcTimestamp = true;
                text.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
    }
}
