using System.Runtime.ExceptionServices;

namespace Crik.Cli.Guarding;

/// <summary>
/// The one guard around every thread and long-running task crik starts. An exception that escapes
/// the work goes to what its owner chose for it: the app's memory fails the fill (the app is killed
/// first), a feature beside the app is switched off, and what crik cannot go on without is
/// <see cref="Fatal"/>. What escapes that choice too is fatal.
/// </summary>
internal static class Guard
{
    private static Action<string, Exception> Ending = (_, e) => ExceptionDispatchInfo.Throw(e);

    /// <summary>Ends crik: set once at start to the last resort (log with the stack, flush, exit with a documented code).</summary>
    public static void OnFatal(Action<string, Exception> fatal) => Ending = fatal;

    /// <summary>crik cannot go on: the last resort ends it.</summary>
    public static void Fatal(string name, Exception e) => Ending(name, e);

    /// <summary>Runs <paramref name="work"/>; an exception that escapes it goes to <paramref name="failed"/>.</summary>
    public static void Run(string name, Action work, Action<string, Exception> failed)
    {
        try
        {
            work();
        }
        catch (Exception e)
        {
            Failed(name, e, failed);
        }
    }

    /// <summary>As <see cref="Run"/>, for asynchronous work: the task it returns never faults.</summary>
    public static async Task RunAsync(string name, Func<Task> work, Action<string, Exception> failed)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Failed(name, e, failed);
        }
    }

    private static void Failed(string name, Exception e, Action<string, Exception> failed)
    {
        try
        {
            failed(name, e);
        }
        catch (Exception worse)
        {
            Fatal(name, new AggregateException($"{name} failed, and so did what it does then", e, worse));
        }
    }
}
