namespace Crik.Cli.Configuration;

/// <summary>Whether a restored app runs before its memory has all arrived (lazyRestore).</summary>
internal enum LazyRestoreMode
{
    /// <summary>Lazily where it pays (an image of <see cref="CrikConfig.LazyRestoreFrom"/> or more) and this container allows it; otherwise eagerly.</summary>
    Auto,

    /// <summary>Lazily whenever this container allows it (with the reason in the log when it does not).</summary>
    On,

    /// <summary>Always every page in before the app runs again.</summary>
    Off,
}
