namespace Crik.Cli.Tests.Support;

/// <summary>Whether a lock a stand-in's child holds on a file (flock) is gone: the file opens with no sharing.</summary>
public static class FileLocks
{
    public static bool CanLock(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
