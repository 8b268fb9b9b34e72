namespace Crik.Cli.Decisions;

/// <summary>Whether a pre-dump that is due runs.</summary>
internal enum PreDumpTurn
{
    Runs,

    /// <summary>A lazily restored app's memory is still arriving: a pre-dump would read it all in for nothing.</summary>
    SkippedWhileMemoryArrives,

    /// <summary>The app is frozen for its lease: it must stay so, and a pre-dump ends by letting the tree run.</summary>
    SkippedWhileFrozen,
}

internal static class PreDumpTurns
{
    public static PreDumpTurn Of(bool memoryArriving, bool frozenForTheLease) =>
        memoryArriving ? PreDumpTurn.SkippedWhileMemoryArrives
        : frozenForTheLease ? PreDumpTurn.SkippedWhileFrozen
        : PreDumpTurn.Runs;
}
