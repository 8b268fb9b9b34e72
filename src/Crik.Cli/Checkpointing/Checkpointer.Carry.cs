using System.Diagnostics;
using Crik.Cli.Carrying;
using Crik.Cli.ImageStore;
using Crik.Cli.Logging;
using Crik.Cli.Model;
using Crik.Cli.Processes;

namespace Crik.Cli.Checkpointing;

// Saving, with a checkpoint, the files a new container of the same image would lack.
internal sealed partial class Checkpointer
{
    /// <summary>
    /// Saves what a new container of this image would lack (see <see cref="CarryPlan"/>) and adds it
    /// to <paramref name="saved"/>; returns why not when it is more than carryLimit.
    /// </summary>
    private string? CarryFiles(int appPid, StagingCheckpoint staging, List<SavedFile> saved)
    {
        if (config.CarryLimit == 0)
        {
            return null;
        }
        var clock = Stopwatch.StartNew();
        CarryPlan plan = CarryPlan.Make(AppDependencies.Read(ProcessTree.Processes(appPid)), MountTable.Read(),
            ContainerStart.Time, [store.ImageDir, .. config.AdditionalPaths]);
        if (plan.Bytes > config.CarryLimit)
        {
            return $"the files a new container would lack add up to {Size.Format(plan.Bytes)}, more than carryLimit "
                + $"({Size.Format(config.CarryLimit)}); the largest: {plan.Largest(3)}. Raise carryLimit, or keep such files on a volume";
        }
        if (plan.IsEmpty)
        {
            return null;
        }
        saved.AddRange(AppFiles.SaveExactly(plan.Directories.Select(d => d.Path), plan.Files.Select(f => f.Path), staging));
        log.Information("Carrying {Summary} a new container would lack, in {Seconds:0.00} s: {Paths}",
            plan.Summary(), clock.Elapsed.TotalSeconds, plan.Describe(5));
        return null;
    }
}
