using System.Diagnostics;
using Crik.Cli.Criu;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.Model;
using Crik.Cli.Processes;
using Crik.Cli.Streaming;
using Crik.Cli.Timing;

namespace Crik.Cli.Checkpointing;

/// <summary>One checkpoint under way once it has a staging area: what its steps learn and hand on, up to the commit.</summary>
/// <param name="clock">Started before the staging area was made, for the log lines.</param>
internal sealed class DumpRun(CheckpointAttempt attempt, StagingCheckpoint staging, Stopwatch clock)
{
    public CheckpointAttempt Attempt => attempt;

    public RunningApp App => attempt.App;

    public CheckpointReason Reason => attempt.Reason;

    public StagingCheckpoint Staging => staging;

    public long Generation => staging.Generation;

    public Budget Budget => attempt.Budget;

    public StageClock Stages => attempt.Stages;

    public Stopwatch Clock => clock;

    public List<int> Tree { get; set; } = [];

    public List<string> Stdio { get; set; } = [];

    public List<ExternalMount> Mounts { get; set; } = [];

    /// <summary>The pre-dumps this dump goes on top of, or null.</summary>
    public (DirectoryHandle Directory, PreDumpParent Parent)? OnTop { get; set; }

    public CriuResult? Dump { get; set; }

    public CaptureResult? Captured { get; set; }

    /// <summary>Images CRIU wrote as files on top of its pre-dumps, still to be stored as chunks.</summary>
    public List<DirectoryHandle>? ToImport { get; set; }

    public CommittedCheckpoint? Committed { get; set; }

    /// <summary>Why this dump was dropped (it could not take the app's memory as it is), for the app to be dumped again once its memory is all in; null otherwise.</summary>
    public string? Dropped { get; set; }
}
