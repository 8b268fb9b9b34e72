using System.IO.Pipes;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace Crik.Cli.Tests.Interop;

/// <summary>Writes take what fits and say so, a full pipe is waited on until its reader has read, and a reader that has gone ends the writing.</summary>
[Trait("Category", "Unit")]
public sealed class NonBlockingPipeTests : IDisposable
{
    private readonly AnonymousPipeServerStream _writeEnd = new(PipeDirection.Out);
    private readonly AnonymousPipeClientStream _readEnd;
    private readonly NonBlockingPipe _pipe;

    public NonBlockingPipeTests()
    {
        _readEnd = new AnonymousPipeClientStream(PipeDirection.In, _writeEnd.ClientSafePipeHandle);
        _pipe = new NonBlockingPipe(new SafeFileHandle(_writeEnd.SafePipeHandle.DangerousGetHandle(), ownsHandle: false));
    }

    public void Dispose()
    {
        _pipe.Dispose();
        _readEnd.Dispose();
        _writeEnd.Dispose();
    }

    [Fact]
    public async Task EveryByteArrivesInOrderThroughAPipeSmallerThanWhatIsWritten()
    {
        byte[][] chunks = [.. Enumerable.Range(0, 5).Select(i => Enumerable.Range(0, 300_000).Select(b => (byte)(b * 7 + i)).ToArray())];
        Task<byte[]> reading = Task.Run(ReadSlowlyToTheEnd);
        var written = new Crik.Cli.Streaming.BuffersInPipe();
        var unwritten = chunks.Select(c => new ArraySegment<byte>(c)).ToList();
        int waits = 0;
        while (unwritten.Count > 0)
        {
            written.Wrote(unwritten, _pipe.Write(unwritten));
            if (unwritten.Count > 0)
            {
                waits++;
                _pipe.WaitForReader();
            }
        }
        _writeEnd.Dispose();
        Assert.Equal(chunks.SelectMany(c => c).ToArray(), await reading.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(waits > 0, "1.5 MB went through a pipe of 64 KiB at one go");
    }

    /// <summary>
    /// A reader that has gone with bytes left unread in the pipe is seen without a write (which a full pipe of buffers
    /// handed by reference never gets to): the bytes stay counted as unread for good.
    /// </summary>
    [Fact]
    public void AReaderThatHasGoneIsSeenThoughItsUnreadBytesStay()
    {
        Assert.True(_pipe.Write([new ArraySegment<byte>(new byte[1000])]) == 1000);
        Assert.False(_pipe.ReaderGone());
        _readEnd.Dispose();
        _writeEnd.DisposeLocalCopyOfClientHandle();
        Assert.True(_pipe.ReaderGone());
        Assert.Equal(1000, _pipe.Unread());
    }

    [Fact]
    public void AFullPipeTakesNothingAndSaysSo()
    {
        var big = new ArraySegment<byte>(new byte[1 << 20]);
        Assert.InRange(_pipe.Write([big]), 1, big.Count - 1);
        Assert.Equal(0, _pipe.Write([big]));
    }

    [Fact]
    public void AWaitEndsWhenTheReaderHasReadAndOtherwiseAfterATenthOfASecond()
    {
        var big = new ArraySegment<byte>(new byte[1 << 20]);
        _pipe.Write([big]);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _pipe.WaitForReader();
        Assert.InRange(clock.ElapsedMilliseconds, 90, 10_000);
        Assert.Equal(0, _pipe.Write([big]));
        _readEnd.ReadExactly(new byte[4096]);
        clock.Restart();
        _pipe.WaitForReader();
        Assert.InRange(clock.ElapsedMilliseconds, 0, 80);
        Assert.True(_pipe.Write([big]) > 0);
    }

    [Fact]
    public void WhenTheReaderHasGoneWaitingEndsAndWritingThrows()
    {
        var big = new ArraySegment<byte>(new byte[1 << 20]);
        _pipe.Write([big]);
        _readEnd.Dispose();
        _pipe.WaitForReader();
        Assert.Throws<IOException>(() => _pipe.Write([big]));
    }
    [Fact]
    public void ByReferenceThePipeHoldsTheBuffersOwnPagesUntilTheyAreRead()
    {
        byte[] buffer = GC.AllocateArray<byte>(8192, pinned: true);
        buffer.AsSpan().Fill(1);
        Assert.Equal(8192, _pipe.Write([new ArraySegment<byte>(buffer)], byReference: true));
        Assert.Equal(8192, _pipe.Unread());
        buffer.AsSpan().Fill(2); // what a buffer reused too early would do
        var read = new byte[8192];
        _readEnd.ReadExactly(read);
        Assert.All(read, b => Assert.Equal(2, b));
        Assert.Equal(0, _pipe.Unread());
    }

    [Fact]
    public async Task ByReferenceEveryByteArrivesWhenEachBufferIsReusedAsSoonAsItIsGivenBack()
    {
        byte[][] chunks = [.. Enumerable.Range(0, 6).Select(i => GC.AllocateArray<byte>(300_000, pinned: true))];
        for (int i = 0; i < chunks.Length; i++)
        {
            for (int b = 0; b < chunks[i].Length; b++)
            {
                chunks[i][b] = (byte)(b * 7 + i);
            }
        }
        byte[] expected = chunks.SelectMany(c => c).ToArray();
        Task<byte[]> reading = Task.Run(ReadSlowlyToTheEnd);
        var inPipe = new Crik.Cli.Streaming.BuffersInPipe();
        var unwritten = chunks.Select(c => new ArraySegment<byte>(c)).ToList();
        int givenBack = 0;
        void Reuse(byte[] buffer)
        {
            buffer.AsSpan().Fill(0xEE); // given back means free to overwrite
            givenBack++;
        }
        while (unwritten.Count > 0)
        {
            inPipe.Wrote(unwritten, _pipe.Write(unwritten, byReference: true));
            if (unwritten.Count > 0)
            {
                _pipe.WaitForReader();
            }
            inPipe.Release(_pipe.Unread(), Reuse);
        }
        _writeEnd.Dispose();
        Assert.Equal(expected, await reading.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(givenBack > 0, "no buffer was given back while the pipe was being read");
    }

    /// <summary>Everything written until the write end closes, read 100 kB at a time with a pause after each, as CRIU filling memory reads.</summary>
    private byte[] ReadSlowlyToTheEnd()
    {
        using var all = new MemoryStream();
        var buffer = new byte[100_000];
        int read;
        while ((read = _readEnd.Read(buffer)) > 0)
        {
            all.Write(buffer, 0, read);
            Thread.Sleep(1);
        }
        return all.ToArray();
    }
}
