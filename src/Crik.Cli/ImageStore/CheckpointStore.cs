using System.Globalization;
using System.Text.Json;
using Crik.Cli.Interop;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// The image directory: committed generations (<c>checkpoint-000007/</c>), staging directories CRIU
/// writes into (<c>.staging-000008-*/</c>), checkpoints set aside because they cannot be restored
/// (<c>set-aside/</c>, never deleted by crik), and CRIU's logs (<c>logs/</c>).
/// </summary>
/// <remarks>
/// A checkpoint is committed by writing its manifest last, flushing the file system, renaming the
/// staging directory and flushing the image directory: a crash at any point leaves either the whole
/// checkpoint or a staging directory that is never restored.
/// </remarks>
internal sealed class CheckpointStore(string imageDir, ILogger log)
{
    private const string CommittedPrefix = "checkpoint-";
    private const string StagingPrefix = ".staging-";

    public string ImageDir => imageDir;

    public string SetAsideDir => Path.Combine(imageDir, "set-aside");

    public string LogDir => Path.Combine(imageDir, "logs");

    public static string CommittedName(long generation) =>
        CommittedPrefix + generation.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Serialises crik instances sharing the directory (an old pod still dumping, a new one restoring).</summary>
    public FileLock? TryLock(TimeSpan timeout)
    {
        Directory.CreateDirectory(imageDir);
        return FileLock.TryAcquire(Path.Combine(imageDir, ".lock"), timeout);
    }

    /// <summary>One more than any generation this directory has seen, committed, staged or set aside.</summary>
    public long NextGeneration()
    {
        IEnumerable<string> names = Names(imageDir).Concat(Names(SetAsideDir));
        return names.Select(ParseGeneration).DefaultIfEmpty(0).Max() + 1;
    }

    public string CreateStaging(long generation)
    {
        Directory.CreateDirectory(imageDir);
        Directory.CreateDirectory(LogDir);
        string path = Path.Combine(imageDir, $"{StagingPrefix}{generation:D6}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Checksums the staged files, writes the manifest, commits atomically, then prunes.</summary>
    public CommittedCheckpoint Commit(string staging, Manifest manifest, int keep)
    {
        // The images go to disk while they are checksummed (both read what CRIU left in the page cache).
        Task flushImages = Task.Run(() => Posix.SyncFileSystemAndDirectory(staging));
        List<ManifestFile> files = FileDigest.DescribeAll(staging, FileDigest.FilesBelow(staging));
        flushImages.GetAwaiter().GetResult();
        manifest = manifest with { Files = files, ImageBytes = files.Sum(f => f.Size) };
        using (var manifestFile = new FileStream(Path.Combine(staging, Manifest.FileName), FileMode.CreateNew, FileAccess.Write))
        {
            manifestFile.Write(JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.Manifest));
            manifestFile.Flush(flushToDisk: true);
        }
        Posix.SyncDirectory(staging);
        string committed = Path.Combine(imageDir, CommittedName(manifest.Generation));
        Directory.Move(staging, committed);
        Posix.SyncDirectory(imageDir);
        Prune(keep);
        return new CommittedCheckpoint(committed, manifest);
    }

    /// <summary>Removes a staging directory whose dump did not succeed.</summary>
    public void Abandon(string staging)
    {
        try
        {
            Directory.Delete(staging, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not remove the failed checkpoint's staging directory {Dir}: {Error}", staging, e.Message);
        }
    }

    /// <summary>
    /// The newest committed checkpoint that verifies. Staging directories left by a crash, and
    /// checkpoints that fail verification, are set aside with a warning on the way.
    /// </summary>
    public CommittedCheckpoint? FindRestorable()
    {
        if (!Directory.Exists(imageDir))
        {
            return null;
        }
        foreach (string staging in Names(imageDir).Where(n => n.StartsWith(StagingPrefix, StringComparison.Ordinal)))
        {
            string moved = SetAside(Path.Combine(imageDir, staging), "an unfinished checkpoint (crik stopped during a dump)");
            log.Warning("Found an unfinished checkpoint {Name}, never committed; set aside at {Path}", staging, moved);
        }
        foreach (string dir in CommittedDirectories())
        {
            string? problem = ManifestVerifier.Verify(dir, out Manifest? manifest);
            if (problem is null)
            {
                return new CommittedCheckpoint(dir, manifest!);
            }
            string moved = SetAside(dir, problem);
            log.Warning("Checkpoint {Dir} cannot be restored: {Problem}; set aside at {Path}, trying an older one", dir, problem, moved);
        }
        return null;
    }

    /// <summary>Moves a checkpoint out of the way, with the reason beside it. Returns where it went.</summary>
    public string SetAside(string dir, string reason)
    {
        Directory.CreateDirectory(SetAsideDir);
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string target = Path.Combine(SetAsideDir, $"{Path.GetFileName(dir).TrimStart('.')}-{stamp}");
        for (int i = 2; Directory.Exists(target); i++)
        {
            target = Path.Combine(SetAsideDir, $"{Path.GetFileName(dir).TrimStart('.')}-{stamp}-{i}");
        }
        Directory.Move(dir, target);
        File.WriteAllText(Path.Combine(target, "SET-ASIDE-REASON.txt"), reason + Environment.NewLine);
        Posix.SyncDirectory(imageDir);
        return target;
    }

    /// <summary>Committed checkpoint directories, newest first.</summary>
    public List<string> CommittedDirectories() =>
        Names(imageDir).Where(n => n.StartsWith(CommittedPrefix, StringComparison.Ordinal) && ParseGeneration(n) > 0)
            .OrderByDescending(ParseGeneration)
            .Select(n => Path.Combine(imageDir, n))
            .ToList();

    /// <summary>How many CRIU log files logs/ keeps, newest first.</summary>
    public const int KeepLogFiles = 20;

    private void Prune(int keep)
    {
        foreach (FileInfo old in new DirectoryInfo(LogDir).EnumerateFiles().OrderByDescending(f => f.LastWriteTimeUtc).Skip(KeepLogFiles))
        {
            old.Delete();
        }
        foreach (string old in CommittedDirectories().Skip(keep))
        {
            Directory.Delete(old, recursive: true);
            log.Debug("Deleted old checkpoint {Dir} (keepCheckpoints: {Keep})", old, keep);
        }
    }

    private static IEnumerable<string> Names(string dir) =>
        Directory.Exists(dir) ? Directory.EnumerateDirectories(dir).Select(p => Path.GetFileName(p)) : [];

    /// <summary>The generation in a name such as checkpoint-000007, .staging-000007-ab12 or checkpoint-000007-2026...; 0 if none.</summary>
    internal static long ParseGeneration(string name)
    {
        string rest = name.StartsWith(CommittedPrefix, StringComparison.Ordinal) ? name[CommittedPrefix.Length..]
            : name.StartsWith(StagingPrefix, StringComparison.Ordinal) ? name[StagingPrefix.Length..]
            : name.StartsWith(StagingPrefix[1..], StringComparison.Ordinal) ? name[(StagingPrefix.Length - 1)..]
            : "";
        string digits = new(rest.TakeWhile(char.IsAsciiDigit).ToArray());
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long generation) ? generation : 0;
    }
}
