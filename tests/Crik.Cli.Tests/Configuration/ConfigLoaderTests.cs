using Crik.Cli.Configuration;
using Xunit;

namespace Crik.Cli.Tests.Configuration;

public class ConfigLoaderTests
{
    [Fact]
    public void GoCriksConfigMapLoadsUnchanged()
    {
        const string yaml = """
            imageDir: /etc/checkpoint
            nodeStateServerURL: http://crik-node-state-server.default.svc.cluster.local:9376
            additionalPaths:
            - /root/.cache
            inotifyIncompatiblePaths:
            - /root/.config/glib-2.0/settings
            - /usr/share/zoneinfo
            """;
        var (config, warnings) = ConfigLoader.Parse(yaml, "config.yaml");
        Assert.Empty(warnings);
        Assert.Equal("/etc/checkpoint", config.ImageDir);
        Assert.Equal(new Uri("http://crik-node-state-server.default.svc.cluster.local:9376"), config.NodeStateServerUrl);
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
        Assert.Equal(NodeStateErrorPolicy.Checkpoint, config.OnNodeStateError);
        Assert.Null(config.NodeStateServerUrl);
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
            onNodeStateError: skip
            """;
        var (config, _) = ConfigLoader.Parse(yaml, "c.yaml");
        Assert.Equal("/data", config.ImageDir);
        Assert.Equal(5, config.KeepCheckpoints);
        Assert.Equal(TimeSpan.FromSeconds(90), config.CheckpointTimeout);
        Assert.Equal(RestoreFailurePolicy.Fail, config.OnRestoreFailure);
        Assert.Equal(TimeSpan.FromMilliseconds(500), config.NodeStateTimeout);
        Assert.Equal(NodeStateErrorPolicy.Skip, config.OnNodeStateError);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("~\n")]
    public void EmptyFileMeansNoCheckpointing(string yaml)
    {
        var (config, warnings) = ConfigLoader.Parse(yaml, "c.yaml");
        Assert.False(config.CheckpointingEnabled);
        Assert.Empty(warnings);
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
}
