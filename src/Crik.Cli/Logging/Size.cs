
namespace Crik.Cli.Logging;

internal static class Size
{
    /// <summary>Bytes as a person reads them: "812 KiB", "64.1 MiB".</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? FormattableString.Invariant($"{bytes} B") : FormattableString.Invariant($"{value:0.#} {units[unit]}");
    }
}
