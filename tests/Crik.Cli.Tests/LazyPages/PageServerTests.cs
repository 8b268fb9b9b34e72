using System.Buffers.Binary;
using System.Net.Sockets;
using Crik.Cli.Chunks;
using Crik.Cli.Interop;
using Crik.Cli.LazyPages;
using Crik.Cli.Processes;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// crik's side of CRIU's page-server protocol, against a pagemap and a pages image made here: what
/// CRIU's lazy-pages daemon sends (a 32-byte header asking for pages at an address of a task) and
/// what it must get back, byte for byte; and that a request crik cannot answer kills the app before
/// the socket closes.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PageServerTests : IDisposable
{
    private const int Page = Pagemap.PageBytes;
    private const ulong Heap = 0x7f0000000000, Stack = 0x7ffd00000000;

    private readonly string _dir = Directory.CreateTempSubdirectory("crik-page-server-").FullName;
    private readonly byte[] _pages;
    private readonly PackReader _packs;
    private readonly ChunkedImage _image;
    private readonly Socket _daemon;
    private readonly PageServer _server;
    private readonly List<string> _killed = [];

    public PageServerTests()
    {
        // Task 42: 3 pages at Heap (lazy), a hole, 2 pages at Heap + 5 pages (lazy), 1 page at Stack (eager).
        _pages = new byte[6 * Page];
        new Random(7).NextBytes(_pages);
        string pack = Path.Combine(_dir, "000001.pack");
        File.WriteAllBytes(pack, _pages);
        // Three chunks whose boundaries fall inside runs, so answers cross chunks.
        var chunks = new List<ChunkRef>();
        foreach ((int from, int length) in new[] { (0, 4 * Page + 100), ((4 * Page) + 100, Page), ((5 * Page) + 100, Page - 100) })
        {
            chunks.Add(new ChunkRef(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(_pages.AsSpan(from, length))), 1, from, length));
        }
        _packs = new PackReader(generation => generation == 1 ? File.OpenHandle(pack) : null);
        _image = new ChunkedImage(chunks, _packs, keyId: null);
        Pagemap pagemap = Pagemap.Parse(PagemapImage(pagesId: 1, (Heap, 3, 6), (Heap + (5 * Page), 2, 6), (Stack, 1, 4)));
        (Socket ours, Microsoft.Win32.SafeHandles.SafeFileHandle theirs) = Userfault.SocketPair();
        _daemon = new Socket(new SafeSocketHandle(theirs.DangerousGetHandle(), ownsHandle: true));
        theirs.SetHandleAsInvalid();
        _server = new PageServer(ours, new Dictionary<int, Pagemap> { [42] = pagemap }, new Dictionary<int, ChunkedImage> { [1] = _image },
            why => { lock (_killed) { _killed.Add(why); } });
    }

    [Fact]
    public void APagemapImageIsReadIntoRunsWithTheirPlaceInThePagesImage()
    {
        Pagemap pagemap = Pagemap.Parse(PagemapImage(pagesId: 3, (Heap, 3, 6), (Heap + (4 * Page), 1, 0), (Heap + (5 * Page), 2, 6), (Stack, 1, 4)));
        Assert.Equal(3, pagemap.PagesId);
        Assert.Equal([new PageRun(Heap, 3, 0, Lazy: true), new PageRun(Heap + (5 * Page), 2, 3 * Page, Lazy: true), new PageRun(Stack, 1, 5 * Page, Lazy: false)],
            pagemap.Runs);
        Assert.Equal(new PageRun(Heap + (5 * Page), 2, 3 * Page, Lazy: true), pagemap.Find(Heap + (6 * Page) + 12));
        Assert.Null(pagemap.Find(Heap + (3 * Page))); // the hole: not present at the dump
        Assert.Equal(6L * Page, pagemap.Bytes);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 0x19, 0x43, 0x56, 0x54, 0, 0, 0, 0, 200, 0, 0, 0 })]
    public void ADamagedPagemapIsRefused(byte[] image) => Assert.Throws<InvalidDataException>(() => Pagemap.Parse(image));

    [Fact]
    public void EachRequestIsAnsweredWithItsHeaderAndExactlyThePagesAsDumpedAcrossChunks()
    {
        Ask(2, Heap + Page, 42);
        (ulong pages, ulong address, ulong task, byte[] bytes) = Answer();
        Assert.Equal((2UL, Heap + Page, 42UL), (pages, address, task));
        Assert.Equal(_pages.AsSpan(Page, 2 * Page).ToArray(), bytes);

        // More than the run holds: the answer stops at the run's end (CRIU asks again for the rest).
        Ask(8, Heap + (5 * Page), 42);
        (pages, _, _, bytes) = Answer();
        Assert.Equal(2UL, pages);
        Assert.Equal(_pages.AsSpan(3 * Page, 2 * Page).ToArray(), bytes);

        Ask(1, Stack, 42);
        Assert.Equal(_pages.AsSpan(5 * Page, Page).ToArray(), Answer().Bytes);
        Assert.Empty(_killed);
    }

    [Fact]
    public void TheAppsFaultsAreRecordedInOrderAsRangesAndTheBackgroundCopyIsNot()
    {
        // A fault asks for one page; the daemon's background copy for 16 or more (here 2 stands for them).
        Ask(1, Heap + Page, 42);
        Ask(1, Heap + (2 * Page), 42);
        Ask(2, Heap + (5 * Page), 42);
        Ask(1, Heap, 42);
        for (int i = 0; i < 4; i++)
        {
            _ = Answer();
        }

        Assert.Equal([new TouchedRange(42, Heap + Page, 2), new TouchedRange(42, Heap, 1)], _server.Touched());
    }

    [Fact]
    public void TheTimeWaitingForTheDaemonIsToldApartFromTheTimeAnswering()
    {
        Ask(2, Heap, 42);
        _ = Answer();
        (TimeSpan waited, TimeSpan read, TimeSpan sent) = _server.Time;
        Assert.True(read > TimeSpan.Zero && sent > TimeSpan.Zero, $"reading {read}, sending {sent}");
        Thread.Sleep(300); // the daemon putting pages in, or the app running without a fault
        Ask(1, Heap + (2 * Page), 42); // in the chunk the first request read: no read to wait for
        _ = Answer();

        (TimeSpan waiting, TimeSpan reading, TimeSpan sending) = _server.Time;
        Assert.InRange(waiting - waited, TimeSpan.FromMilliseconds(290), TimeSpan.FromSeconds(30));
        Assert.True(reading - read + (sending - sent) < TimeSpan.FromMilliseconds(250), $"reading {reading - read} and sending {sending - sent} count the wait");
    }

    [Fact]
    public async Task TheDaemonsCloseIsAnsweredAndEndsServingWithoutKillingTheApp()
    {
        var header = new byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x1024);
        _daemon.Send(header);
        var status = new byte[4];
        Assert.Equal(4, _daemon.Receive(status));
        Assert.Equal(0, BitConverter.ToInt32(status));
        Assert.Null(await _server.Served.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(_killed);
    }

    [Theory]
    [InlineData(Heap + (3 * Page), 42)] // the hole
    [InlineData(Heap, 43)]              // a task the images do not have
    public async Task ARequestCrikCannotAnswerKillsTheAppBeforeTheSocketCloses(ulong address, int task)
    {
        Ask(1, address, (ulong)task);
        Assert.Equal(0, _daemon.Receive(new byte[32])); // closed without an answer
        string failure = (await _server.Served.WaitAsync(TimeSpan.FromSeconds(5)))!;
        Assert.Contains("which its images do not hold", failure, StringComparison.Ordinal);
        Assert.Equal([failure], _killed);
    }

    [Fact]
    public async Task AChunkThatDoesNotVerifyKillsTheApp()
    {
        using (var pack = File.OpenHandle(Path.Combine(_dir, "000001.pack"), FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.Write(pack, new byte[] { (byte)(_pages[5 * Page] ^ 0xff) }, 5 * Page);
        }
        Ask(1, Stack, 42);
        Assert.Equal(0, _daemon.Receive(new byte[32]));
        Assert.Contains("a page could not be served", (await _server.Served.WaitAsync(TimeSpan.FromSeconds(5)))!, StringComparison.Ordinal);
        Assert.Single(_killed);
    }

    public void Dispose()
    {
        _daemon.Dispose();
        _server.Served.Wait(TimeSpan.FromSeconds(5));
        _server.Dispose();
        _image.Dispose();
        _packs.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private void Ask(ulong pages, ulong address, ulong task)
    {
        var header = new byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 7);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), pages);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), address);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), task);
        _daemon.Send(header);
    }

    private (ulong Pages, ulong Address, ulong Task, byte[] Bytes) Answer()
    {
        byte[] header = Receive(32);
        Assert.Equal((4u << 16) | 6, BinaryPrimitives.ReadUInt32LittleEndian(header));
        ulong pages = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(8));
        return (pages, BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(16)), BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(24)),
            Receive((int)pages * Page));
    }

    private byte[] Receive(int count)
    {
        var buffer = new byte[count];
        for (int done = 0; done < count;)
        {
            int read = _daemon.Receive(buffer, done, count - done, SocketFlags.None);
            Assert.True(read > 0, "the page server closed the socket");
            done += read;
        }
        return buffer;
    }

    /// <summary>A pagemap image as CRIU writes it: magics, a head entry, then one entry per run (vaddr, nr_pages in field 5, flags).</summary>
    private static byte[] PagemapImage(int pagesId, params (ulong Address, ulong Pages, ulong Flags)[] runs)
    {
        var image = new List<byte>();
        image.AddRange(BitConverter.GetBytes(0x54564319u));
        image.AddRange(BitConverter.GetBytes(0x56084025u));
        void Entry(List<byte> message)
        {
            image.AddRange(BitConverter.GetBytes(message.Count));
            image.AddRange(message);
        }
        Entry([.. Field(1, (ulong)pagesId)]);
        foreach ((ulong address, ulong pages, ulong flags) in runs)
        {
            Entry([.. Field(1, address), .. Field(2, 0), .. Field(4, flags), .. Field(5, pages)]);
        }
        return [.. image];
    }

    private static List<byte> Field(int number, ulong value)
    {
        var bytes = new List<byte> { (byte)(number << 3) };
        do
        {
            byte b = (byte)(value & 0x7f);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return bytes;
    }
}
