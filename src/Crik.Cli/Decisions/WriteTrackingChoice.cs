using Crik.Cli.Configuration;

namespace Crik.Cli.Decisions;

/// <summary>Whether crik tracks the app's writes between its checkpoints, as trackWrites and crik's place in its PID namespace say.</summary>
internal static class WriteTrackingChoice
{
    /// <summary>
    /// Why crik does not track the app's writes; null when it does (where the kernel allows it). With auto, only as PID 1 of
    /// its PID namespace: a crik killed there takes the app with it, so an app can never run on from the middle of the call
    /// crik runs inside it. A crik that is not PID 1 can die and leave the app behind.
    /// </summary>
    /// <param name="crikIsInit">crik is PID 1 of its PID namespace (a container's init).</param>
    public static string? WhyNot(WriteTrackingMode mode, bool crikIsInit) => mode switch
    {
        WriteTrackingMode.Off => "trackWrites is off",
        WriteTrackingMode.Auto when !crikIsInit => "crik is not PID 1 of its PID namespace, so a crik killed while it runs its call "
            + "inside the app would not take the app with it (set trackWrites: on to track the writes anyway)",
        _ => null,
    };
}
