using Crik.Cli.Checkpointing;
using Crik.Cli.Chunks;
using Crik.Cli.Configuration;
using Crik.Cli.Control;
using Crik.Cli.Criu;
using Crik.Cli.Guarding;
using Crik.Cli.HostCompatibility;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.Logging;
using Crik.Cli.NodeState;
using Crik.Cli.Observing;
using Crik.Cli.PreDumping;
using Crik.Cli.Processes;
using Crik.Cli.Restoring;
using Crik.Cli.Supervision;
using Serilog;
using Serilog.Core;

namespace Crik.Cli.Commands;

/// <summary>
/// <c>crik run</c>: loads the configuration, becomes the app's init, restores or starts the app, and
/// supervises it to the end. Every failure ends as one stderr line and a documented exit code.
/// </summary>
internal static class RunCommand
{
    public static int Execute(RunOptions options, SignalRelay signals)
    {
        if (Platform.Unsupported() is { } unsupported)
        {
            return Fail(unsupported, ExitCodes.CrikFailure);
        }
        LoadedConfig loaded;
        ChunkCodec codec;
        try
        {
            loaded = ConfigLoader.Load(options.ConfigPath);
            codec = ChunkCodec.Plain;
            if (loaded.Config.CheckpointingEnabled)
            {
                codec = ImageCodec.From(loaded.Config, out IReadOnlyList<string> keyWarnings);
                loaded = loaded with { Warnings = [.. loaded.Warnings, .. keyWarnings] };
            }
        }
        catch (ConfigException e)
        {
            return Fail(e.Message, ExitCodes.UsageError);
        }
        if (options.Command.Count == 0)
        {
            return Fail("no command to run: give it after --, e.g. crik run -- /app/server --port 8080", ExitCodes.UsageError);
        }
        if (!options.CommandAfterSeparator && options.Command[0].StartsWith('-'))
        {
            return Fail($"unknown option {options.Command[0]} for crik run (see crik run --help; put the app and its arguments after --)", ExitCodes.UsageError);
        }

        using Logger log = LogSetup.Create(options.LogLevel, options.LogFormat);
        LastResort.Install(log);
        FaultSeam.ThrowUnguarded();
        foreach (string warning in loaded.Warnings)
        {
            log.Warning("{Warning}", warning);
        }
        return SuperviseUntilTheEnd(options, loaded, codec, signals, log);
    }

    /// <summary>Supervises the app; a failure is one line and crik's exit code, every process below crik killed first (unless it is PID 1).</summary>
    private static int SuperviseUntilTheEnd(RunOptions options, LoadedConfig loaded, ChunkCodec codec, SignalRelay signals, ILogger log)
    {
        int exitCode;
        try
        {
            return Supervise(options, loaded, codec, signals, log);
        }
        catch (RestoreFailedException e)
        {
            log.Error("{Message}", e.Message);
            exitCode = ExitCodes.CrikFailure;
        }
        catch (SpawnException e)
        {
            log.Error("{Message}", e.Message);
            exitCode = ExitCodes.FromSpawnFailure(e);
        }
        catch (Exception e)
        {
            log.Debug(e, "crik failed");
            log.Error("crik failed: {Message}", e.Message);
            exitCode = ExitCodes.CrikFailure;
        }
        EverythingBelow.KillUnlessPid1();
        return exitCode;
    }

    private static int Supervise(RunOptions options, LoadedConfig loaded, ChunkCodec codec, SignalRelay signals, ILogger log)
    {
        if (Environment.ProcessId != 1)
        {
            // Orphans of the app must still come to crik to be reaped.
            Posix.BecomeChildSubreaper();
        }
        var reaper = new ChildReaper(log);
        CrikConfig config = loaded.Config;
        Task? kernelFeatures = config.CheckpointingEnabled ? StartWhatARestoreWaitsFor(reaper, log) : null;
        // From crik's start, before the store is opened, its lock waited for or the app restored: /metrics is served
        // while crik waits, and also when it starts nothing. Disposed last, once the app is gone and the store's lock
        // released: the last Events (the SIGTERM's checkpoint) are sent within PodEventWriter.FlushTime.
        using Observation observation = Observation.Start(config, log, Environment.GetEnvironmentVariable);
        Restorer? restorer = null;
        Checkpointer? checkpointer = null;
        PreDumpChain? preDumps = null;
        ICheckpointStore? store = null;
        if (!config.CheckpointingEnabled)
        {
            log.Debug(loaded.Path is null
                ? "No configuration file; checkpointing is off"
                : "No imageDir configured; checkpointing is off");
        }
        else
        {
            if (codec.KeyId is null)
            {
                log.Information("Checkpoints in {Dir} are not encrypted: whoever can read them there can read the app's memory "
                    + "(set encryptionKeyFile to encrypt them)", config.ImageDir);
            }
            try
            {
                store = CheckpointStores.Open(config, codec, log);
            }
            catch (FormatException e)
            {
                return Fail(e.Message, ExitCodes.UsageError);
            }
            if (Carrying.ImageDirMount.NotOnAVolume(config.ImageDir!) is { } notKept)
            {
                log.Warning("{Warning}", notKept);
            }
            var criu = new CriuRunner(reaper, kernelFeatures, log);
            restorer = new Restorer(config, store, criu, reaper, log);
            preDumps = PreDumpSupport.ChainFor(config, criu, log);
            checkpointer = new Checkpointer(config, store, criu, new Lazy<Task<string>>(criu.VersionAsync), NodeStateGateFor(config, log), preDumps, reaper, log);
            SayWhatLengthensPeriodicFreezes(config, log);
        }
        using PreDumpChain? ownedPreDumps = preDumps;
        using Checkpointer? ownedCheckpointer = checkpointer;
        // Disposed once the app is gone: the lock held for its life is released then, not before.
        using ICheckpointStore? ownedStore = store;
        using ControlServer? control = ControlServer.TryStart(ControlSocket.Path, log);
        var supervisor = new Supervisor(signals, new AppLauncher(reaper, log), restorer, checkpointer, new CheckpointSchedule(config.CheckpointInterval, config.NodeStatePollInterval, config.PreDumpInterval, config.CheckpointTimeout), control,
            config.AfterRestore.Count > 0 ? new AfterRestore(config.AfterRestore, reaper, log) : null, store, log);
        return Run(supervisor, options.Command, log);
    }

    /// <summary>Where the node could make each periodic checkpoint's freeze shorter, one line at start (<see cref="TcpTable"/>).</summary>
    private static void SayWhatLengthensPeriodicFreezes(CrikConfig config, ILogger log)
    {
        if (config.CheckpointInterval is not null && TcpTable.OfThisNamespace()?.CanLengthenFreezes is { } hint)
        {
            log.Information("Periodic checkpoints can keep the app frozen longer than they could: {Hint}", hint);
        }
    }

    /// <summary>
    /// First of all: a restore waits for CRIU's kernel probes and for the cryptography library, and nothing else
    /// crik does before it. The task ends once the probes are done or given up.
    /// </summary>
    private static Task StartWhatARestoreWaitsFor(ChildReaper reaper, ILogger log)
    {
        Task kernelFeatures = KernelFeatureCache.PrepareAsync(reaper, log);
        BackgroundThread.StartSoon(ChunkCodec.LoadHashing, "crik hashing load", (_, e) => log.Debug(e, "Loading the cryptography library early failed"));
        return kernelFeatures;
    }

    private static int Run(Supervisor supervisor, IReadOnlyList<string> command, ILogger log)
    {
        try
        {
            return supervisor.RunAsync(command).GetAwaiter().GetResult();
        }
        catch (CrikRestartException e)
        {
            // Carried out once everything here is disposed: the store's lock and lease released, the logs flushed.
            log.Warning("{Message}", e.Message);
            SelfRestart.Request(e.Message);
            return ExitCodes.CrikFailure;
        }
        catch (Timing.PodStoppingException e)
        {
            EverythingBelow.KillUnlessPid1(); // what a restore started while it waited (CRIU's probes), where crik is not PID 1
            log.Warning("{Message}", e.Message);
            return 128 + (int)e.Signal;
        }
        catch (RestoreFailedException e)
        {
            EverythingBelow.KillUnlessPid1();
            // Said while the Events can still be sent: the pod restarts over this, and kubectl describe should say why.
            log.Error(new Happening.AppNotStarted(e.Message), "{Message}", e.Message);
            return ExitCodes.CrikFailure;
        }
        catch (Exception)
        {
            // Here, before the store's lock and lease are released as this unwinds: no crik may restore the app while it runs on.
            EverythingBelow.KillUnlessPid1();
            throw;
        }
    }

    private static NodeStateGate? NodeStateGateFor(CrikConfig config, ILogger log)
    {
        if (config.NodeStateServerUrl is null)
        {
            return null;
        }
        var client = new NodeStateClient(NodeStateClient.CreateHttpClient());
        return new NodeStateGate(config.NodeStateServerUrl, Environment.GetEnvironmentVariable(NodeStateGate.NodeNameVariable), config, client, log);
    }

    private static int Fail(string message, int exitCode)
    {
        StandardStreams.Error.WriteLine($"crik: error: {message}");
        return exitCode;
    }
}
