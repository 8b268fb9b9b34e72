using Crik.Cli.Processes;
using Xunit;

namespace Crik.Cli.Tests.Processes;

/// <summary>A descriptor open for direct I/O is found by its fdinfo flags (octal), and only by O_DIRECT among them.</summary>
[Trait("Category", "Unit")]
public sealed class DirectIoTests
{
    [Theory]
    [InlineData("pos:\t0\nflags:\t0140002\nmnt_id:\t27\n", true)] // O_RDWR | O_DIRECT | O_LARGEFILE
    [InlineData("pos:\t0\nflags:\t02100002\nmnt_id:\t27\n", false)] // O_RDWR | O_LARGEFILE | O_CLOEXEC
    [InlineData("pos:\t0\nmnt_id:\t27\n", false)]
    [InlineData("flags:\tzz\n", false)]
    public void ADescriptorIsOpenForDirectIoWhenItsFlagsSaySo(string fdinfo, bool direct) => Assert.Equal(direct, DirectIo.OpenForDirectIo(fdinfo));

    [Fact]
    public void AProcessWithAFileOpenWithODirectIsFoundAndOneWithoutIsNot()
    {
        string path = Path.Combine(Path.GetTempPath(), $"crik-direct-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, new byte[4096]);
        try
        {
            Assert.Null(Holding(path, "os.O_RDONLY"));
            Assert.Contains("open for direct I/O", Holding(path, "os.O_RDONLY | os.O_DIRECT"), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>What <see cref="DirectIo.Of"/> says of a process that holds <paramref name="path"/> open with <paramref name="flags"/>.</summary>
    private static string? Holding(string path, string flags)
    {
        string script = $"import os, sys, time\nfd = os.open(sys.argv[1], {flags})\nprint('open', flush=True)\ntime.sleep(30)";
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3", ["-c", script, path]) { RedirectStandardOutput = true })!;
        try
        {
            Assert.Equal("open", holder.StandardOutput.ReadLine());
            return DirectIo.Of(holder.Id);
        }
        finally
        {
            holder.Kill();
        }
    }
}
