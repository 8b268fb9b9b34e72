namespace Crik.Cli.Processes;

/// <summary>crik's own long-lived threads: background, so none keeps crik from exiting, and named, for stack dumps and /proc.</summary>
internal static class BackgroundThread
{
    public static Thread Start(ThreadStart body, string name)
    {
        var thread = new Thread(body) { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }
}
