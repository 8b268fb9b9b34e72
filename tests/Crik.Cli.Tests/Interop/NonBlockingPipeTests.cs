using System.IO.Pipes;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace Crik.Cli.Tests.Interop;

/// <summary>Writes take what fits and say so, a full pipe is waited for, and a reader that has gone ends the writing.</summary>
[Trait("Category", "Unit")]
public sealed class NonBlockingPipeTests : IDisposable
{
    private readonly AnonymousPipeServerStream _writeEnd = new(PipeDirection.Out);
    private readonly AnonymousPipeClientStream _readEnd;
    private readonly SafeFileHandle _pipe;

    public NonBlockingPipeTests()
    {
        _readEnd = new AnonymousPipeClientStream(PipeDirection.In, _writeEnd.ClientSafePipeHandle);
        _pipe = new SafeFileHandle(_writeEnd.SafePipeHandle.DangerousGetHandle(), ownsHandle: false);
        NonBlockingPipe.Enable(_pipe);
    }

    public void Dispose()
    {
        _readEnd.Dispose();
        _writeEnd.Dispose();
    }

    [Fact]
    public async Task EveryByteArrivesInOrderThroughAPipeSmallerThanWhatIsWritten()
    {
        byte[][] chunks = [.. Enumerable.Range(0, 5).Select(i => Enumerable.Range(0, 300_000).Select(b => (byte)(b * 7 + i)).ToArray())];
        Task<byte[]> reading = Task.Run(() =>
        {
            using var all = new MemoryStream();
            _readEnd.CopyTo(all);
            return all.ToArray();
        });
        var unwritten = chunks.Select(c => new ArraySegment<byte>(c)).ToList();
        int fullTimes = 0;
        while (unwritten.Count > 0)
        {
            long written = NonBlockingPipe.Write(_pipe, unwritten);
            while (unwritten.Count > 0 && written >= unwritten[0].Count)
            {
                written -= unwritten[0].Count;
                unwritten.RemoveAt(0);
            }
            if (unwritten.Count > 0)
            {
                unwritten[0] = unwritten[0][(int)written..];
                fullTimes++;
                NonBlockingPipe.WaitForRoom(_pipe);
            }
        }
        _writeEnd.Dispose();
        Assert.Equal(chunks.SelectMany(c => c).ToArray(), await reading.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(fullTimes > 0, "1.5 MB went through a pipe of 64 KiB at one go");
    }

    [Fact]
    public void AFullPipeTakesNothingAndSaysSo()
    {
        var big = new ArraySegment<byte>(new byte[1 << 20]);
        Assert.InRange(NonBlockingPipe.Write(_pipe, [big]), 1, big.Count - 1);
        Assert.Equal(0, NonBlockingPipe.Write(_pipe, [big]));
    }

    [Fact]
    public void WhenTheReaderHasGoneWaitingEndsAndWritingThrows()
    {
        var big = new ArraySegment<byte>(new byte[1 << 20]);
        NonBlockingPipe.Write(_pipe, [big]);
        _readEnd.Dispose();
        NonBlockingPipe.WaitForRoom(_pipe);
        Assert.Throws<IOException>(() => NonBlockingPipe.Write(_pipe, [big]));
    }
}
