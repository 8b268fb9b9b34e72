// Configuration/ owns reading and validating the YAML file into an immutable CrikConfig.
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Crik.Cli.Configuration;

/// <summary>
/// Configuration/ owns crik's YAML configuration: finding the file (this class), reading it safely
/// (<see cref="ConfigFileReader"/>), checking its shape (<see cref="YamlStructureCheck"/>) and each
/// value (<see cref="ConfigValueReader"/>) into a validated <see cref="CrikConfig"/>.
/// Errors name the file, line and key; unknown keys are warnings.
/// </summary>
internal static partial class ConfigLoader
{
    public const string DefaultPath = "/etc/crik/config.yaml";
    public const string PathVariable = "CRIK_CONFIG";

    /// <summary>
    /// Loads --config, else $CRIK_CONFIG, else the default path. A missing file at the default path
    /// means "no checkpointing"; a missing file that was named is an error.
    /// </summary>
    public static LoadedConfig Load(string? explicitPath)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(PathVariable);
        string? origin = explicitPath is not null ? "--config" : string.IsNullOrEmpty(fromEnvironment) ? null : PathVariable;
        string path = explicitPath ?? (origin is null ? DefaultPath : fromEnvironment!);
        string? text = ConfigFileReader.Read(path, origin);
        if (text is null)
        {
            return new LoadedConfig(CrikConfig.Default, null, []);
        }
        try
        {
            var (config, warnings) = Parse(text, path, TestDefaults.Apply(CrikConfig.Default));
            return new LoadedConfig(config, path, warnings);
        }
        catch (Exception e) when (e is not (ConfigException or OutOfMemoryException))
        {
            // Whatever the YAML library throws, bad configuration must end as one line and exit 2.
            throw new ConfigException($"{path}: cannot read the configuration: {e.Message}", e);
        }
    }

    /// <summary>Parses and validates configuration text; <paramref name="file"/> names it in messages.</summary>
    /// <param name="defaults">What a key the text does not set is: <see cref="CrikConfig.Default"/> unless given.</param>
    public static (CrikConfig Config, IReadOnlyList<string> Warnings) Parse(string text, string file, CrikConfig? defaults = null)
    {
        YamlNode? root = ReadRoot(text, file);
        var warnings = new List<string>();
        CrikConfig config = defaults ?? CrikConfig.Default;
        if (root is not (null or YamlScalarNode { Value: null or "" or "~" or "null" }))
        {
            config = ReadMapping(root, file, warnings, config);
        }
        if (!config.CheckpointingEnabled)
        {
            warnings.Add($"{file}: no {ConfigKeys.ImageDir} is set, so checkpointing is off (crik runs the app as a plain init)");
        }
        return (config, warnings);
    }

    private static CrikConfig ReadMapping(YamlNode root, string file, List<string> warnings, CrikConfig defaults)
    {
        if (root is not YamlMappingNode mapping)
        {
            throw new ConfigException($"{file}:{Line(root)}: the configuration must be a mapping of keys to values, e.g. \"imageDir: /var/lib/crik\"");
        }
        var reader = new ConfigValueReader(file);
        CrikConfig config = defaults;
        int budgetLine = 0, levelLine = 0;
        foreach (var (keyNode, value) in mapping.Children)
        {
            string key = ((keyNode as YamlScalarNode)?.Value) ?? "";
            config = key switch
            {
                ConfigKeys.ImageDir => config with { ImageDir = reader.ImageDir(key, value) },
                ConfigKeys.NodeStateServerUrl => config with { NodeStateServerUrl = reader.HttpUrl(key, value) },
                ConfigKeys.AdditionalPaths => config with { AdditionalPaths = reader.AbsolutePaths(key, value) },
                ConfigKeys.InotifyIncompatiblePaths => config with { InotifyIncompatiblePaths = reader.AbsolutePaths(key, value) },
                ConfigKeys.KeepCheckpoints => config with { KeepCheckpoints = reader.PositiveInteger(key, value) ?? config.KeepCheckpoints },
                ConfigKeys.CheckpointTimeout => config with { CheckpointTimeout = reader.Duration(key, value) ?? config.CheckpointTimeout },
                ConfigKeys.OnRestoreFailure => config with { OnRestoreFailure = reader.Choice(key, value, config.OnRestoreFailure) },
                ConfigKeys.NodeStateTimeout => config with { NodeStateTimeout = reader.Duration(key, value) ?? config.NodeStateTimeout },
                ConfigKeys.NodeStateWait => config with { NodeStateWait = reader.ShortWait(key, value, CrikConfig.MaximumNodeStateWait) ?? config.NodeStateWait },
                ConfigKeys.OnNodeStateError => config with { OnNodeStateError = reader.Choice(key, value, config.OnNodeStateError) },
                ConfigKeys.RestoreTimeout => config with { RestoreTimeout = reader.Duration(key, value) ?? config.RestoreTimeout },
                ConfigKeys.CheckpointBudget => config with { ConfiguredCheckpointBudget = reader.Duration(key, value) },
                ConfigKeys.CheckpointInterval => config with { CheckpointInterval = reader.Interval(key, value, CrikConfig.MinimumCheckpointInterval) },
                ConfigKeys.PreDumpInterval => config with { PreDumpInterval = reader.Interval(key, value, CrikConfig.MinimumCheckpointInterval) },
                ConfigKeys.NodeStatePollInterval => config with
                {
                    NodeStatePollInterval = reader.Interval(key, value, CrikConfig.MinimumCheckpointInterval) ?? config.NodeStatePollInterval,
                },
                ConfigKeys.OnCpuMismatch => config with { OnCpuMismatch = reader.Choice(key, value, config.OnCpuMismatch) },
                ConfigKeys.CarryLimit => config with { CarryLimit = reader.ByteSize(key, value) ?? config.CarryLimit },
                ConfigKeys.Compression => config with { Compression = reader.Choice(key, value, config.Compression) },
                ConfigKeys.CompressionLevel => config with { CompressionLevel = reader.PositiveInteger(key, value) },
                ConfigKeys.EncryptionKeyFile => config with { EncryptionKeyFile = reader.AbsolutePath(key, value) },
                ConfigKeys.PreviousEncryptionKeyFile => config with { PreviousEncryptionKeyFile = reader.AbsolutePath(key, value) },
                ConfigKeys.RestoreAttempts => config with { RestoreAttempts = reader.PositiveInteger(key, value) ?? config.RestoreAttempts },
                ConfigKeys.RestoreProbation => config with { RestoreProbation = reader.Duration(key, value) ?? config.RestoreProbation },
                ConfigKeys.LazyRestore => config with { LazyRestore = reader.Choice(key, value, config.LazyRestore) },
                ConfigKeys.TrackWrites => config with { TrackWrites = reader.Choice(key, value, config.TrackWrites) },
                ConfigKeys.LazyStoreWait => config with { LazyStoreWait = reader.Duration(key, value) ?? config.LazyStoreWait },
                ConfigKeys.LockWait => config with { LockWait = reader.Duration(key, value) ?? config.LockWait },
                ConfigKeys.OnStoreUnavailable => config with { OnStoreUnavailable = reader.Choice(key, value, config.OnStoreUnavailable) },
                ConfigKeys.LeaseDuration => config with { LeaseDuration = reader.Interval(key, value, CrikConfig.MinimumLeaseDuration) ?? config.LeaseDuration },
                ConfigKeys.LeaseDoubtLimit => config with { LeaseDoubtLimit = reader.Duration(key, value) ?? config.LeaseDoubtLimit },
                ConfigKeys.MetricsAddress => config with { MetricsAddress = reader.ListenAddress(key, value) },
                ConfigKeys.AfterRestore => config with { AfterRestore = reader.Command(key, value) },
                _ => Unknown(config, key, keyNode, file, warnings),
            };
            budgetLine = key == ConfigKeys.CheckpointBudget ? Line(keyNode) : budgetLine;
            levelLine = key == ConfigKeys.CompressionLevel ? Line(keyNode) : levelLine;
        }
        CheckZstdLevel(config, file, levelLine);
        WarnAboutCutTimeouts(config, file, budgetLine, warnings);
        return config;
    }

    /// <summary>A level zstd takes only with far more memory to read back, refused where it is written, whatever the keys' order.</summary>
    private static void CheckZstdLevel(CrikConfig config, string file, int levelLine)
    {
        if (config is { Compression: CompressionKind.Zstd, CompressionLevel: > CrikConfig.MaxZstdLevel })
        {
            throw new ConfigException($"{file}:{levelLine}: {ConfigKeys.CompressionLevel}: zstd levels go from 1 to {CrikConfig.MaxZstdLevel}, got {config.CompressionLevel}");
        }
    }

    /// <summary>An explicit budget is a hard bound: a timeout longer than it can never run its course.</summary>
    private static void WarnAboutCutTimeouts(CrikConfig config, string file, int budgetLine, List<string> warnings)
    {
        if (config.ConfiguredCheckpointBudget is not { } budget)
        {
            return;
        }
        foreach (var (key, timeout) in new[] { (ConfigKeys.NodeStateTimeout, config.NodeStateTimeout), (ConfigKeys.CheckpointTimeout, config.CheckpointTimeout) })
        {
            if (timeout > budget)
            {
                warnings.Add($"{file}:{budgetLine}: {key} ({Format(timeout)}) is longer than {ConfigKeys.CheckpointBudget} ({Format(budget)}); it will be cut to the budget");
            }
        }
    }

    private static string Format(TimeSpan duration) => duration.Ticks % TimeSpan.TicksPerSecond == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{(long)duration.TotalSeconds}s")
        : string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds}ms");

    private static YamlNode? ReadRoot(string text, string file)
    {
        var stream = new YamlStream();
        try
        {
            YamlStructureCheck.Check(text, file);
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{file}:{e.Start.Line}: invalid YAML: {YamlProblem(e)}", e);
        }
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
    }

    private static string YamlProblem(YamlException e)
    {
        // YamlDotNet prefixes its messages with "(Line: 1, Col: 2, Idx: 3) - (...): ".
        string message = MarkPrefix().Replace(e.Message, "");
        return (e.InnerException is { } inner ? $"{message} {MarkPrefix().Replace(inner.Message, "")}" : message).Trim();
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();

    private static CrikConfig Unknown(CrikConfig config, string key, YamlNode node, string file, List<string> warnings)
    {
        warnings.Add(UnknownKeys.WarningUnlessATypo(file, Line(node), key));
        return config;
    }

    internal static int Line(YamlNode node) => (int)node.Start.Line;
}
