using System.Net.Sockets;
using Crik.Cli.Chunks;
using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Crik.Cli.Restoring;
using Crik.Cli.Streaming;
using Xunit;

namespace Crik.Cli.Tests.Streaming;

/// <summary>
/// A CRIU that fails of its own (an ID it gives back held, say) goes away in the middle of the streamer's conversation. That
/// says nothing of the images or the store: CRIU's own error says why the restore failed. Before, the broken conversation was
/// the restore's reason, and a good checkpoint was set aside as damaged (or the pod waited for a store that was fine).
/// </summary>
[Trait("Category", "Unit")]
public sealed class ImageServerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-serve-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACriuThatGoesAwayBetweenARequestAndItsPipeLeavesTheReasonToCriusOwnError(bool reset)
    {
        var manifest = new Manifest { RootPid = 9001, Command = ["app"], Files = [new ManifestFile("pstree.img", 0, [], [])] };
        using var packs = new PackReader(new Chunks.PacksOf(_ => null), ChunkCodec.Plain);
        using ImageServer server = ImageServer.Start(_dir, manifest, packs, new Dictionary<string, byte[]>());
        using (var criu = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await criu.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(_dir, StreamerSocket.ServeName)));
            byte[] request = [12, 0, 0, 0, 0x0a, 10, .. "pstree.img"u8];
            await criu.SendAsync(request);
            byte[] reply = new byte[6];
            Assert.Equal(6, await criu.ReceiveAsync(reply));
            Assert.Equal(1, reply[5]); // it exists: CRIU's pipe is due next
            if (reset)
            {
                criu.LingerState = new LingerOption(true, 0); // closes with a reset, as a CRIU killed mid-send can
            }
        }
        Assert.Null(await CriuRestore.Served(server, criuSucceeded: false));
        Assert.True(server.CriuWentAway);
    }

    [Fact]
    public async Task ACriuThatSucceededWithoutItsPipesIsCriksToAnswerForNotTheCheckpoints()
    {
        var manifest = new Manifest { RootPid = 9001, Command = ["app"], Files = [new ManifestFile("pstree.img", 0, [], [])] };
        using var packs = new PackReader(new Chunks.PacksOf(_ => null), ChunkCodec.Plain);
        using ImageServer server = ImageServer.Start(_dir, manifest, packs, new Dictionary<string, byte[]>());
        using (var criu = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await criu.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(_dir, StreamerSocket.ServeName)));
            await criu.SendAsync((byte[])[12, 0, 0, 0, 0x0a, 10, .. "pstree.img"u8]);
            Assert.Equal(6, await criu.ReceiveAsync(new byte[6]));
        }
        NotWhole notWhole = (await CriuRestore.Served(server, criuSucceeded: true))!;
        Assert.Equal(RestoreBlame.Crik, notWhole.Blame);
    }
}
