using System.Net.Sockets;
using Crik.Cli.Chunks;
using Crik.Cli.Streaming;
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
}
