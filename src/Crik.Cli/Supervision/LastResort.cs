using Crik.Cli.Guarding;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.Supervision;

/// <summary>
/// What ends crik when something it cannot go on without fails in a way nobody expected: a thread whose
/// failure is <see cref="Guard.Fatal"/>, or an exception no guard caught. One log line says what failed,
/// with the stack, and what becomes of the app and its checkpoints; the log is flushed, and crik exits
/// with <see cref="ExitCodes.CrikFailure"/> instead of the runtime's stack trace and abort. As PID 1, crik's
/// exit ends every process of the container, the app's among them; else crik kills them first
/// (<see cref="EverythingBelow"/>). Its checkpoints are not touched, so the next pod restores the newest.
/// </summary>
internal static class LastResort
{
    private static int Ending;

    public static void Install(ILogger log)
    {
        Guard.OnFatal((name, e) => End(log, $"{name} failed", e));
        AppDomain.CurrentDomain.UnhandledException += (_, args) => End(log, "an exception nobody caught", args.ExceptionObject as Exception);
        TaskScheduler.UnobservedTaskException += (_, args) =>
        {
            log.Warning("A task of crik's failed and nobody looked at it (ignored): {Error}", args.Exception.ToString());
            args.SetObserved();
        };
    }

    private static void End(ILogger log, string what, Exception? e)
    {
        if (Interlocked.Exchange(ref Ending, 1) == 0)
        {
            log.Fatal("{What}: {Error}. crik cannot go on: it exits with {Code}, and the app ends with it; its checkpoints stay, and the next pod "
                + "restores the newest. Please report this with the lines above", what, e?.ToString() ?? "(no exception)", ExitCodes.CrikFailure);
            (log as IDisposable)?.Dispose();
            EverythingBelow.KillUnlessPid1();
            Environment.Exit(ExitCodes.CrikFailure);
        }
        Thread.Sleep(Timeout.Infinite); // another thread is Ending crik already
    }
}
