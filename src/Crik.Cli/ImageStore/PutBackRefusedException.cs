namespace Crik.Cli.ImageStore;

/// <summary>
/// A path of the app's where a saved file could not be put back (a link or a file on the way, a directory where a file goes,
/// an owner refused): a fault of the paths in this pod, not of the checkpoint. It keeps the error number of what failed.
/// </summary>
internal sealed class PutBackRefusedException : IOException
{
    public PutBackRefusedException(Exception inner) : base(inner.Message, inner) => HResult = inner.HResult;

    /// <summary>Runs a step on the app's paths; what it throws there is the path's (<see cref="PutBackRefusedException"/>).</summary>
    public static T AtTheAppsPath<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception e) when (e is (IOException and not PutBackRefusedException) or UnauthorizedAccessException)
        {
            throw new PutBackRefusedException(e);
        }
    }

    /// <inheritdoc cref="AtTheAppsPath{T}(Func{T})"/>
    public static void AtTheAppsPath(Action step) => AtTheAppsPath(() =>
    {
        step();
        return true;
    });
}
