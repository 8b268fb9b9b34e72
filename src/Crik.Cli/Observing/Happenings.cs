namespace Crik.Cli.Observing;

/// <summary>
/// Where crik's moments go (<see cref="Happening"/>): to whoever listens, the pod's Events and the metrics. With no
/// listener (crik outside Kubernetes, no metricsAddress), publishing costs nothing. Listeners must not block:
/// they are called on the thread of the checkpoint or restore that published.
/// </summary>
internal static class Happenings
{
    private static readonly Lock Changing = new();
    private static volatile IHappeningListener[] Listeners = [];

    public static void Listen(IHappeningListener listener)
    {
        lock (Changing)
        {
            Listeners = [.. Listeners, listener];
        }
    }

    public static void StopListening(IHappeningListener listener)
    {
        lock (Changing)
        {
            Listeners = Listeners.Where(l => l != listener).ToArray();
        }
    }

    public static void Publish(Happening happening)
    {
        foreach (IHappeningListener listener in Listeners)
        {
            try
            {
                listener.On(happening);
            }
            catch (Exception e)
            {
                // Nothing a listener does may fail a checkpoint or a restore.
                Serilog.Log.Debug(e, "A listener failed on {Happening}", happening.GetType().Name);
            }
        }
    }
}

internal interface IHappeningListener
{
    void On(Happening happening);
}
