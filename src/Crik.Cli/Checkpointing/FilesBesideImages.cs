using System.Diagnostics;
using Crik.Cli.Carrying;
using Crik.Cli.Configuration;
using Crik.Cli.ImageStore;
using Crik.Cli.Logging;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Checkpointing;

/// <summary>The files saved with a checkpoint, or why they are not: what a new container would lack is more than carryLimit.</summary>
internal sealed record FilesSaved(List<SavedFile> Files, string? OverLimit);

/// <summary>
/// Saves, with a checkpoint, the files beside its images: additionalPaths, and what a new container of the same image would
/// lack (see <see cref="CarryPlan"/>). Runs with the tree stopped, so what is saved matches what CRIU recorded of each file.
/// </summary>
internal sealed class FilesBesideImages(CrikConfig config, string imageDir, ILogger log)
{
    public FilesSaved Save(HeldTree app, StagingCheckpoint staging)
    {
        List<SavedFile> saved = AppFiles.Save(config.AdditionalPaths, staging, log);
        return new FilesSaved(saved, Carry(app, staging, saved));
    }

    /// <summary>Adds to <paramref name="saved"/> what a new container would lack; returns why not when it is more than carryLimit.</summary>
    private string? Carry(HeldTree app, StagingCheckpoint staging, List<SavedFile> saved)
    {
        if (config.CarryLimit == 0)
        {
            return null;
        }
        var clock = Stopwatch.StartNew();
        CarryPlan plan = CarryPlan.Make(AppDependencies.Read(app), MountTable.Read(),
            ContainerStart.Time, [imageDir, .. config.AdditionalPaths]);
        if (plan.Bytes > config.CarryLimit)
        {
            return $"the files a new container would lack add up to {Size.Format(plan.Bytes)}, more than carryLimit "
                + $"({Size.Format(config.CarryLimit)}); the largest: {plan.Largest(3)}. Raise carryLimit, or keep such files on a volume";
        }
        if (plan.IsEmpty)
        {
            return null;
        }
        saved.AddRange(AppFiles.SaveExactly(plan.Directories.Select(d => d.Path), plan.Files.Select(f => f.Path), staging, log));
        log.Information("Carrying {Summary} a new container would lack, in {Seconds:0.00} s: {Paths}",
            plan.Summary(), clock.Elapsed.TotalSeconds, plan.Describe(5));
        return null;
    }
}
