using Crik.Cli.Chunks;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// A file written in place (<see cref="VolumeBackend.CreateUpload"/>): complete once written (the file system's flush makes it
/// durable), deleted from <paramref name="volume"/> at <paramref name="key"/> when aborted. A write repeated at its offset writes the same bytes again.
/// </summary>
/// <param name="fill">What filling the page cache costs, when known (tests); else measured as the pack is written.</param>
internal sealed class VolumeFileUpload(SafeFileHandle file, VolumeBackend volume, string key, CacheFillCost? fill = null) : IBlobUpload
{
    private readonly PackFileTarget _target = new(file, fill);

    public bool Completed { get; private set; }

    public void Write(ReadOnlySpan<byte> data, long offset) => _target.Write(data, offset);

    public bool WantsPageAligned(ReadOnlySpan<byte> data) => _target.WantsPageAligned(data);

    public void Complete()
    {
        _target.EndWritebacks();
        Completed = true;
    }

    public void Abort()
    {
        _target.Dispose();
        if (!Completed)
        {
            volume.Delete(key);
        }
    }

    public void Dispose() => _target.Dispose();
}
