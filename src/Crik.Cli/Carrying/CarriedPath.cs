using Crik.Cli.Interop;

namespace Crik.Cli.Carrying;

/// <summary>A file or directory a new container will lack, as it is now.</summary>
internal sealed record CarriedPath(string Path, FileStatus Status);
