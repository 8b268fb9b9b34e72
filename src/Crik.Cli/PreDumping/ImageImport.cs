using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Records;
using Crik.Cli.Streaming;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.PreDumping;

/// <summary>
/// Takes the image files of a dump CRIU wrote on top of pre-dumps into this generation's pack, as
/// the image streamer takes a streamed dump: each pagemap is made whole (its pages gathered from the
/// dump and the pre-dumps under it), so the generation needs nothing but its own chunks, and is
/// restored like any other.
/// </summary>
internal static class ImageImport
{
    /// <param name="chain">The dump's directory first, then the pre-dumps it was taken on, newest first.</param>
    /// <param name="failure">Where the import's first failure is kept, when the caller fails it too (a checkpoint's budget
    /// spent, say: the import stops at the next chunk).</param>
    public static CaptureResult Import(IReadOnlyList<DirectoryHandle> chain, PackWriter pack, IRunFailure? failure = null)
    {
        IRunFailure run = failure ?? new FirstFailure();
        using var chunker = new ImageChunker(pack, run);
        var images = new List<ManifestFile>();
        try
        {
            images.AddRange(TakeOnReaderThreads(ImagesToTake(chain), chunker, run));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            run.Fail(e.Message);
        }
        return new CaptureResult(images.OrderBy(i => i.Path, StringComparer.Ordinal).ToList(), run.Failure);
    }

    /// <summary>
    /// Each image the generation gets, by name, and how to read it: the pagemaps and their pages
    /// images made whole, the others as the dump wrote them.
    /// </summary>
    private static List<(string Name, Func<Stream> Open)> ImagesToTake(IReadOnlyList<DirectoryHandle> chain)
    {
        // CRIU's "parent" link to the pre-dump under this dump is not an image.
        DirectoryHandle dump = chain[0];
        List<string> files = dump.Names().Where(name => dump.Stat(name) is { Kind: FileKind.Regular })
            .Order(StringComparer.Ordinal).ToList();
        var work = new List<(string Name, Func<Stream> Open)>();
        foreach (string name in files.Where(PagemapImage.IsPagemapName))
        {
            FlatPagemap flat = PagemapFlattener.Flatten(name, chain);
            byte[] pagemap = flat.Pagemap.Encode();
            work.Add((name, () => new MemoryStream(pagemap, writable: false)));
            work.Add((flat.Pagemap.PagesName, () => new SegmentStream(flat.Pages)));
        }
        var made = work.Select(w => w.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string name in files.Where(name => !made.Contains(name)))
        {
            work.Add((name, () => OpenImage(dump, name)));
        }
        return work;
    }

    /// <summary>Takes the images into the pack, a few at once; an image that fails is reported to <paramref name="run"/> and left out.</summary>
    private static List<ManifestFile> TakeOnReaderThreads(List<(string Name, Func<Stream> Open)> work, ImageChunker chunker, IRunFailure run)
    {
        var taken = new ManifestFile?[work.Count];
        int next = -1;
        void TakeImages()
        {
            for (int i = Interlocked.Increment(ref next); i < work.Count; i = Interlocked.Increment(ref next))
            {
                try
                {
                    using Stream source = work[i].Open();
                    taken[i] = chunker.Take(work[i].Name, source);
                }
                catch (Exception e)
                {
                    run.Fail($"{work[i].Name}: {e.Message}");
                }
            }
        }
        // Threads of their own: they wait for room among the chunks in flight, which pool threads store. A reader
        // that dies of something nobody expected fails this checkpoint, not crik.
        Thread[] readers = Enumerable.Range(0, Math.Min(work.Count, Environment.ProcessorCount))
            .Select(i => BackgroundThread.Start(TakeImages, $"crik import {i}", (name, e) => run.Fail($"{name} failed unexpectedly: {e}"))).ToArray();
        foreach (Thread reader in readers)
        {
            reader.Join();
        }
        return taken.OfType<ManifestFile>().ToList();
    }

    private static FileStream OpenImage(DirectoryHandle directory, string name)
    {
        SafeFileHandle file = directory.TryOpenFile(name) ?? throw new IOException($"{directory.PathOf(name)} is gone");
        try
        {
            return new FileStream(file, FileAccess.Read);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
