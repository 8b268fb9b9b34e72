using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using Crik.Cli.Chunks;
using Crik.Cli.Streaming;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Streaming;

/// <summary>Whatever arrives on the streamer socket, a capture ends with an answer, and a bad one fails the dump.</summary>
public sealed class ImageCaptureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-capture-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff })]
    [InlineData(new byte[] { 3, 0, 0, 0, 0x0a, 1, (byte)'/' })]
    [InlineData(new byte[] { 5, 0, 0, 0, 0x0a })]
    public async Task GarbageOnTheSocketFailsTheCaptureInsteadOfHangingIt(byte[] garbage)
    {
        using var pack = new PackWriter(1, File.OpenHandle(Path.Combine(_dir, "1.pack"), FileMode.CreateNew, FileAccess.Write), new Dictionary<string, ChunkRef>());
        using ImageCapture capture = ImageCapture.Start(_dir, pack);
        using (var criu = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await criu.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(_dir, StreamerSocket.CaptureName)));
            await criu.SendAsync(garbage);
        }
        CaptureResult result = await capture.FinishAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(result.Error);
        Assert.Empty(result.Images);
    }

    [Fact]
    public async Task ACriuThatNeverConnectsIsReportedOnceItHasExited()
    {
        using var pack = new PackWriter(1, File.OpenHandle(Path.Combine(_dir, "1.pack"), FileMode.CreateNew, FileAccess.Write), new Dictionary<string, ChunkRef>());
        using ImageCapture capture = ImageCapture.Start(_dir, pack);
        CaptureResult result = await capture.FinishAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("criu never connected to crik's image streamer", result.Error);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ImagesAreCutAsFromAFileAndPagemapsAreKeptOnlyWhenAsked(bool keepPagemaps)
    {
        byte[] pagemap = RandomNumberGenerator.GetBytes(3000);
        byte[] pages = RandomNumberGenerator.GetBytes(5 << 20); // several chunks and several chunk buffers
        File.WriteAllBytes(Path.Combine(_dir, "pagemap"), pagemap);
        File.WriteAllBytes(Path.Combine(_dir, "pages"), pages);
        using var pack = new PackWriter(1, File.OpenHandle(Path.Combine(_dir, "1.pack"), FileMode.CreateNew, FileAccess.Write), new Dictionary<string, ChunkRef>());
        using ImageCapture capture = ImageCapture.Start(_dir, pack, keepPagemaps);
        RunFakeCriu("pagemap-1.img=" + Path.Combine(_dir, "pagemap"), "pages-1.img=" + Path.Combine(_dir, "pages"));
        CaptureResult result = await capture.FinishAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Null(result.Error);
        Assert.Equal(["pagemap-1.img", "pages-1.img"], result.Images.Select(i => i.Path));
        Assert.Equal(ChunkNames(pages), result.Images[1].Chunks!.Select(c => c.Id));
        Assert.Equal(pages.Length, result.Images[1].Size);
        if (keepPagemaps)
        {
            Assert.Equal(pagemap, Assert.Single(result.Pagemaps!, p => p.Key == "pagemap-1.img").Value);
        }
        else
        {
            Assert.Null(result.Pagemaps);
        }
    }

    private void RunFakeCriu(params string[] images)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardError = true };
        foreach (string argument in (string[])[Paths.App("fake-criu-stream.py"), Path.Combine(_dir, StreamerSocket.CaptureName), .. images])
        {
            start.ArgumentList.Add(argument);
        }
        using Process criu = Process.Start(start)!;
        string errors = criu.StandardError.ReadToEnd();
        Assert.True(criu.WaitForExit(30_000), "the fake criu did not finish");
        Assert.True(criu.ExitCode == 0, errors);
    }

    /// <summary>The chunks the same bytes give when cut from a file, into arrays.</summary>
    private static List<string> ChunkNames(byte[] image)
    {
        var names = new List<string>();
        PageChunker.Cut(new MemoryStream(image), (buffer, length) =>
        {
            names.Add(PackWriter.Hash(buffer.AsSpan(0, length)));
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        });
        return names;
    }
}
