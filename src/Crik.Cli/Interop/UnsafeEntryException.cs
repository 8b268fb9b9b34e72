namespace Crik.Cli.Interop;

/// <summary>A name in crik's image directory that is not what crik made there (a link, a file for a directory).</summary>
internal sealed class UnsafeEntryException(string message) : IOException(message);
