using Crik.Cli.Configuration;
using Xunit;

namespace Crik.Cli.Tests.Configuration;

[Trait("Category", "Unit")]
public class ConfigLoaderTests
{
    [Fact]
    public void GoCriksConfigMapLoadsUnchanged()
    {
        const string yaml = """
            imageDir: /etc/checkpoint
            nodeStateServerURL: http://crik-node-state-server.crik-system.svc.cluster.local:9376
            additionalPaths:
            - /root/.cache
            inotifyIncompatiblePaths:
            - /root/.config/glib-2.0/settings
            - /usr/share/zoneinfo
            """;
        var (config, warnings) = ConfigLoader.Parse(yaml, "config.yaml");
        Assert.Empty(warnings);
        Assert.Equal("/etc/checkpoint", config.ImageDir);
        Assert.Equal(new Uri("http://crik-node-state-server.crik-system.svc.cluster.local:9376"), config.NodeStateServerUrl);
        Assert.Equal(["/root/.cache"], config.AdditionalPaths);
        Assert.Equal(["/root/.config/glib-2.0/settings", "/usr/share/zoneinfo"], config.InotifyIncompatiblePaths);
    }

    [Fact]
    public void DefaultsApplyWhenKeysAreAbsent()
    {
        var (config, _) = ConfigLoader.Parse("imageDir: /data\n", "c.yaml");
        Assert.Equal(2, config.KeepCheckpoints);
        Assert.Equal(TimeSpan.FromSeconds(25), config.CheckpointTimeout);
        Assert.Equal(RestoreFailurePolicy.Fresh, config.OnRestoreFailure);
        Assert.Equal(TimeSpan.FromSeconds(2), config.NodeStateTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), config.NodeStateWait);
        Assert.Equal(NodeStateErrorPolicy.Checkpoint, config.OnNodeStateError);
        Assert.Null(config.NodeStateServerUrl);
        Assert.Equal(TimeSpan.FromMinutes(5), config.RestoreTimeout);
        Assert.Null(config.ConfiguredCheckpointBudget);
        Assert.Equal(TimeSpan.FromSeconds(30), config.CheckpointBudget);
    }

    [Fact]
    public void DerivedBudgetKeepsOldTimeoutsMeaningful()
    {
        var (config, warnings) = ConfigLoader.Parse("imageDir: /data\ncheckpointTimeout: 1m\nnodeStateTimeout: 5s\n", "c.yaml");
        Assert.Empty(warnings);
        Assert.Equal(TimeSpan.FromSeconds(68), config.CheckpointBudget);
    }

    [Fact]
    public void AnImageDirOfSlashesIsTheRoot() => Assert.Equal("/", ConfigLoader.Parse("imageDir: //\n", "c.yaml").Config.ImageDir);

    /// <summary>A value given by an alias counts as one value: the keys after it are keys. Before, the duplicate-key check took "9m" for a key.</summary>
    [Fact]
    public void AValueGivenByAnAliasIsRead()
    {
        var (config, warnings) = ConfigLoader.Parse("imageDir: /data\nrestoreTimeout: &t 9m\nlockWait: *t\nlazyStoreWait: 9m\ncheckpointBudget: 50s\n", "c.yaml");
        Assert.Empty(warnings);
        Assert.Equal(TimeSpan.FromMinutes(9), config.LockWait);
        Assert.Equal(TimeSpan.FromMinutes(9), config.LazyStoreWait);
        Assert.Equal(TimeSpan.FromSeconds(50), config.CheckpointBudget);
    }

    [Fact]
    public void ExplicitBudgetAndRestoreTimeoutAreRead()
    {
        var (config, warnings) = ConfigLoader.Parse("imageDir: /data\ncheckpointBudget: 50s\nrestoreTimeout: 2m\n", "c.yaml");
        Assert.Empty(warnings);
        Assert.Equal(TimeSpan.FromSeconds(50), config.CheckpointBudget);
        Assert.Equal(TimeSpan.FromMinutes(2), config.RestoreTimeout);
    }

    [Fact]
    public void TimeoutsLongerThanAnExplicitBudgetAreWarnedAbout()
    {
        var (_, warnings) = ConfigLoader.Parse("imageDir: /data\nnodeStateTimeout: 12s\ncheckpointBudget: 10s\n", "c.yaml");
        Assert.Equal(
        [
            "c.yaml:3: nodeStateTimeout (12s) is longer than checkpointBudget (10s); it will be cut to the budget",
            "c.yaml:3: checkpointTimeout (25s) is longer than checkpointBudget (10s); it will be cut to the budget",
        ], warnings);
    }

    [Theory]
    [InlineData("checkpointTimeout: 24h", null)]
    [InlineData("checkpointTimeout: 1ms", null)]
    [InlineData("checkpointTimeout: 24h1ms", "must be at most 24h")]
    [InlineData("restoreTimeout: 99999999999999999999h", "must be at most 24h")]
    [InlineData("nodeStateTimeout: 0.5ms", "must be at least 1ms")]
    [InlineData("checkpointBudget: 0", "must be a positive duration")]
    public void DurationsStayWithinOneMillisecondAndOneDay(string line, string? problem)
    {
        string yaml = $"imageDir: /data\n{line}\n";
        if (problem is null)
        {
            ConfigLoader.Parse(yaml, "c.yaml");
            return;
        }
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "c.yaml"));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeDurationsDoNotOverflow()
    {
        Assert.True(DurationParser.TryParse("99999999999999999999", out TimeSpan seconds));
        Assert.Equal(TimeSpan.MaxValue, seconds);
        Assert.True(DurationParser.TryParse("9999999999999999999999h", out TimeSpan hours));
        Assert.Equal(TimeSpan.MaxValue, hours);
    }

    [Theory]
    [InlineData("a: 1\nb:\n  c: 1\n  c: 2\n", "c.yaml:4: key \"c\" appears twice (lines 3 and 4)")]
    [InlineData("---\na: 1\n---\n", "c.yaml:3: a second YAML document starts here")]
    [InlineData("imageDir: \"/a\\nb\\0\"\n", "got \"/a\\u000ab\\u0000\"")]
    public void StructuralProblemsAreOneLineErrors(string yaml, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "c.yaml"));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void NestingIsBoundedBeforeTheTreeIsBuilt()
    {
        string deep = new string('[', YamlStructureCheck.MaximumDepth + 1) + new string(']', YamlStructureCheck.MaximumDepth + 1);
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(deep, "c.yaml"));
        Assert.Contains("nest deeper than 64 levels", error.Message, StringComparison.Ordinal);
        string justDeepEnough = "a: " + new string('[', YamlStructureCheck.MaximumDepth - 1) + new string(']', YamlStructureCheck.MaximumDepth - 1);
        Assert.Single(ConfigLoader.Parse(justDeepEnough, "c.yaml").Warnings, w => w.Contains("unknown key", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "--config is empty")]
    [InlineData("/etc/crik\0/config.yaml", "contains a NUL character")]
    public void BadConfigPathsAreErrors(string path, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NewKeysAreRead()
    {
        const string yaml = """
            imageDir: /data/
            keepCheckpoints: 5
            checkpointTimeout: 1m30s
            onRestoreFailure: fail
            nodeStateTimeout: 500ms
            nodeStateWait: 0
            onNodeStateError: skip
            lazyRestore: off
            trackWrites: on
            """;
        var (config, _) = ConfigLoader.Parse(yaml, "c.yaml");
        Assert.Equal(LazyRestoreMode.Off, config.LazyRestore);
        Assert.Equal(WriteTrackingMode.On, config.TrackWrites);
        Assert.Equal(WriteTrackingMode.Auto, CrikConfig.Default.TrackWrites);
        Assert.Equal(LazyRestoreMode.Auto, CrikConfig.Default.LazyRestore);
        Assert.Equal("/data", config.ImageDir);
        Assert.Equal(5, config.KeepCheckpoints);
        Assert.Equal(TimeSpan.FromSeconds(90), config.CheckpointTimeout);
        Assert.Equal(RestoreFailurePolicy.Fail, config.OnRestoreFailure);
        Assert.Equal(TimeSpan.FromMilliseconds(500), config.NodeStateTimeout);
        Assert.Equal(TimeSpan.Zero, config.NodeStateWait);
        Assert.Equal(NodeStateErrorPolicy.Skip, config.OnNodeStateError);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("~\n")]
    public void EmptyFileMeansNoCheckpointingAndSaysSo(string yaml)
    {
        var (config, warnings) = ConfigLoader.Parse(yaml, "c.yaml");
        Assert.False(config.CheckpointingEnabled);
        Assert.Equal("c.yaml: no imageDir is set, so checkpointing is off (crik runs the app as a plain init)", Assert.Single(warnings));
    }

    [Fact]
    public void AfterRestoreIsAProgramWithItsArgumentsAndNoneByDefault()
    {
        Assert.Empty(ConfigLoader.Parse("imageDir: /data\n", "c.yaml").Config.AfterRestore);
        var (config, warnings) = ConfigLoader.Parse("imageDir: /data\nafterRestore: [python3, -m, crik_jupyterhub, \"two words\"]\n", "c.yaml");
        Assert.Empty(warnings);
        Assert.Equal(["python3", "-m", "crik_jupyterhub", "two words"], config.AfterRestore);
    }

    [Fact]
    public void EmptyValueLeavesTheDefault()
    {
        var (config, _) = ConfigLoader.Parse("imageDir:\nadditionalPaths:\n", "c.yaml");
        Assert.Null(config.ImageDir);
        Assert.Empty(config.AdditionalPaths);
    }

    [Fact]
    public void MissingFileAtTheDefaultPathMeansPlainInit()
    {
        // The default path does not exist on a test machine.
        Assert.False(File.Exists(ConfigLoader.DefaultPath));
        Environment.SetEnvironmentVariable(ConfigLoader.PathVariable, null);
        LoadedConfig loaded = ConfigLoader.Load(explicitPath: null);
        Assert.False(loaded.Config.CheckpointingEnabled);
        Assert.Null(loaded.Path);
    }

    [Theory]
    [InlineData("25s", 25_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5s", 1_500)]
    [InlineData("10", 10_000)]
    [InlineData("1h", 3_600_000)]
    public void DurationsParseLikeGo(string text, int milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out TimeSpan value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("5x")]
    [InlineData("s")]
    public void BadDurationsAreRejected(string text) => Assert.False(DurationParser.TryParse(text, out _));

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("4096", 4096L)]
    [InlineData("512Ki", 512L << 10)]
    [InlineData("256Mi", 256L << 20)]
    [InlineData("2Gi", 2L << 30)]
    [InlineData("1Ti", 1L << 40)]
    public void CarryLimitTakesBytesOrBinarySuffixes(string text, long bytes) =>
        Assert.Equal(bytes, ConfigLoader.Parse($"imageDir: /data\ncarryLimit: {text}\n", "c.yaml").Config.CarryLimit);

    [Theory]
    [InlineData("256MB")]
    [InlineData("-1")]
    [InlineData("1.5Gi")]
    public void BadCarryLimitsSayWhatIsExpected(string text)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($"imageDir: /data\ncarryLimit: {text}\n", "c.yaml"));
        Assert.Equal($"c.yaml:2: carryLimit: must be a size in bytes such as 256Mi, 1Gi or 0, got \"{text}\"", error.Message);
    }

    [Theory]
    [InlineData("9999999999Ti")]
    [InlineData("99999999999999999999")]
    public void CarryLimitsTooLargeSaySo(string text)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($"imageDir: /data\ncarryLimit: {text}\n", "c.yaml"));
        Assert.Equal($"c.yaml:2: carryLimit: is too large: a size is at most 9223372036854775807 bytes, got \"{text}\"", error.Message);
    }

    [Fact]
    public void CarryLimitDefaultsTo256Mi() =>
        Assert.Equal(256L << 20, ConfigLoader.Parse("imageDir: /data\n", "c.yaml").Config.CarryLimit);

    [Fact]
    public void CheckpointIntervalIsOffByDefaultAndAtLeastOneSecond()
    {
        Assert.Null(ConfigLoader.Parse("imageDir: /data\n", "c.yaml").Config.CheckpointInterval);
        Assert.Equal(TimeSpan.FromMinutes(5), ConfigLoader.Parse("imageDir: /data\ncheckpointInterval: 5m\n", "c.yaml").Config.CheckpointInterval);
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("imageDir: /data\ncheckpointInterval: 500ms\n", "c.yaml"));
        Assert.Equal("c.yaml:2: checkpointInterval: must be at least 1s, got \"500ms\"", error.Message);
    }

    [Fact]
    public void PreDumpIntervalIsOffByDefaultAndAtLeastOneSecond()
    {
        Assert.Null(ConfigLoader.Parse("imageDir: /data\n", "c.yaml").Config.PreDumpInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), ConfigLoader.Parse("imageDir: /data\npreDumpInterval: 30s\n", "c.yaml").Config.PreDumpInterval);
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("imageDir: /data\npreDumpInterval: 500ms\n", "c.yaml"));
        Assert.StartsWith("c.yaml:2: preDumpInterval: must be at least 1s", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "Wait")]
    [InlineData("onStoreUnavailable: wait\n", "Wait")]
    [InlineData("onStoreUnavailable: start\n", "Start")]
    [InlineData("onStoreUnavailable: Start\n", "Start")]
    public void OnStoreUnavailableWaitsUnlessTheUserChoosesToStart(string line, string expected)
    {
        var (config, warnings) = ConfigLoader.Parse($"imageDir: /data\n{line}", "c.yaml");
        Assert.Empty(warnings);
        Assert.Equal(Enum.Parse<StoreUnavailablePolicy>(expected), config.OnStoreUnavailable);
    }

    [Fact]
    public void AnUnknownOnStoreUnavailableNamesTheChoices()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("imageDir: /data\nonStoreUnavailable: fresh\n", "c.yaml"));
        Assert.Equal("c.yaml:2: onStoreUnavailable: must be wait or start, got \"fresh\"", error.Message);
    }
}
