using Crik.Cli.Chunks;
using Xunit;

namespace Crik.Cli.Tests.Chunks;

public sealed class PackWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-pack-").FullName;

    [Fact]
    public void AChunkAnOlderGenerationHoldsIsReusedAndOnlyNewOnesAreWritten()
    {
        byte[] a = [.. Enumerable.Repeat((byte)1, 5000)], b = [.. Enumerable.Repeat((byte)2, 7000)];
        ChunkRef first;
        using (var one = new PackWriter(1, File.OpenHandle(Pack(1), FileMode.CreateNew, FileAccess.Write), new Dictionary<string, ChunkRef>()))
        {
            first = one.Add(a);
            Assert.Equal(first, one.Add(a)); // the same chunk twice in one generation is written once
            Assert.Equal(5000, one.WrittenBytes);
        }
        using (var two = new PackWriter(2, File.OpenHandle(Pack(2), FileMode.CreateNew, FileAccess.Write),
            new Dictionary<string, ChunkRef> { [first.Id] = first }))
        {
            Assert.Equal(first, two.Add(a));
            ChunkRef second = two.Add(b);
            Assert.Equal(new ChunkRef(PackWriter.Hash(b), 2, 0, 7000, Xxh3: ChunkCodec.Plain.QuickCheck(b)), second);
            Assert.Equal(7000, two.WrittenBytes);
            Assert.Equal(5000, two.ReusedBytes);
        }
        using var reader = PacksOf.Files(g => File.Exists(Pack(g)) ? File.OpenHandle(Pack(g)) : null);
        var buffer = new byte[7000];
        reader.Read(first, null, buffer);
        Assert.Equal(a, buffer[..5000]);
    }

    [Fact]
    public void AChunkThatIsNotWhatWasWrittenOrIsMissingIsRefused()
    {
        ChunkRef chunk;
        using (var one = new PackWriter(1, File.OpenHandle(Pack(1), FileMode.CreateNew, FileAccess.Write), new Dictionary<string, ChunkRef>()))
        {
            chunk = one.Add(new byte[4096]);
        }
        byte[] pack = File.ReadAllBytes(Pack(1));
        pack[100] ^= 1;
        File.WriteAllBytes(Pack(1), pack);
        using var reader = PacksOf.Files(g => File.Exists(Pack(g)) ? File.OpenHandle(Pack(g)) : null);
        var buffer = new byte[4096];
        Assert.Contains("does not match its XXH3-64", Assert.Throws<ChunkException>(() => reader.Read(chunk, null, buffer)).Message, StringComparison.Ordinal);
        // Listed by an older crik's manifest, without its XXH3: checked against its name.
        Assert.Contains("does not match its SHA-256", Assert.Throws<ChunkException>(() => reader.Read(chunk with { Xxh3 = null }, null, buffer)).Message, StringComparison.Ordinal);
        Assert.Contains("ends before chunk", Assert.Throws<ChunkException>(() => reader.Read(chunk with { Offset = 1 }, null, buffer)).Message, StringComparison.Ordinal);
        Assert.Contains("pack 7 holding chunk", Assert.Throws<ChunkException>(() => reader.Read(chunk with { Pack = 7 }, null, buffer)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEncryptedChunkHasNoChecksumOfItsPlaintextBesideIt()
    {
        ChunkKey key = ChunkKey.FromBytes([.. Enumerable.Repeat((byte)7, 32)]);
        var codec = new ChunkCodec(Crik.Cli.Configuration.CompressionKind.None, 0, key, [key]);
        using var writer = new PackWriter(1, File.OpenHandle(Pack(1), FileMode.CreateNew, FileAccess.Write), new Dictionary<string, ChunkRef>(), codec);
        Assert.Null(writer.Add(new byte[4096]).Xxh3);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Pack(long generation) => Path.Combine(_dir, $"{generation:D6}.pack");
}
