using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>The files crik handles around a dump: additionalPaths saved and put back, inotify paths deleted.</summary>
internal static class AppFiles
{
    public const string ExtraFilesDir = "extra-files";

    /// <summary>Deletes each path (file or directory); missing ones are fine.</summary>
    public static void DeleteInotifyIncompatible(IEnumerable<string> paths, ILogger log)
    {
        foreach (string path in paths)
        {
            if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
            {
                Directory.Delete(path, recursive: true);
            }
            else if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
            {
                File.Delete(path);
            }
            else
            {
                continue;
            }
            log.Debug("Deleted {Path} before the dump (inotifyIncompatiblePaths)", path);
        }
    }

    /// <summary>Copies each existing path to checkpoint/extra-files/PATH.</summary>
    public static void Save(IEnumerable<string> paths, string checkpointDir)
    {
        foreach (string path in paths)
        {
            Copy(path, Path.Combine(checkpointDir, ExtraFilesDir) + path);
        }
    }

    /// <summary>Puts each saved path back where it was.</summary>
    public static void PutBack(IEnumerable<string> paths, string checkpointDir)
    {
        foreach (string path in paths)
        {
            Copy(Path.Combine(checkpointDir, ExtraFilesDir) + path, path);
        }
    }

    /// <summary>Copies a file, symbolic link or directory tree, keeping modes; a missing source is skipped.</summary>
    public static void Copy(string source, string destination)
    {
        var info = new FileInfo(source);
        if (info.LinkTarget is { } target)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Delete(destination);
            File.CreateSymbolicLink(destination, target);
        }
        else if (Directory.Exists(source))
        {
            Directory.CreateDirectory(destination);
            File.SetUnixFileMode(destination, File.GetUnixFileMode(source));
            foreach (string entry in Directory.EnumerateFileSystemEntries(source))
            {
                Copy(entry, Path.Combine(destination, Path.GetFileName(entry)));
            }
        }
        else if (info.Exists)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(source, destination, overwrite: true);
            File.SetUnixFileMode(destination, File.GetUnixFileMode(source));
        }
    }
}
