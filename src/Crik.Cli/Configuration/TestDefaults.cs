namespace Crik.Cli.Configuration;

/// <summary>
/// Where the tests run all of crik with another default (CRIK_TEST_TRACK_WRITES_DEFAULT=off: trackWrites off wherever a
/// configuration file does not set it), so that the whole suite is run once with write tracking off. A file's own key wins.
/// </summary>
internal static class TestDefaults
{
    public const string TrackWritesVariable = "CRIK_TEST_TRACK_WRITES_DEFAULT";

    public static CrikConfig Apply(CrikConfig defaults) => Environment.GetEnvironmentVariable(TrackWritesVariable) switch
    {
        "off" => defaults with { TrackWrites = WriteTrackingMode.Off },
        "on" => defaults with { TrackWrites = WriteTrackingMode.On },
        _ => defaults,
    };
}
