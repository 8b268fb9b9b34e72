using System.Text;
using System.Text.Json;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Shipping;

/// <summary>
/// What only the NativeAOT build can get wrong (trimming, reflection, resources): run against the
/// shipped binary, which CI names in CRIK_BIN (scripts/test.sh). The build the tests make is not
/// NativeAOT, so these tests say so and skip without it; in CI they fail instead.
/// </summary>
public sealed class NativeAotBinaryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-aot-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [NativeAotFact]
    public void EveryConfigurationKeyIsReadWithoutAWarning()
    {
        string key = Path.Combine(_dir, "key");
        File.WriteAllText(key, Convert.ToBase64String(Encoding.ASCII.GetBytes("0123456789abcdef0123456789ABCDEF")));
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string images = Path.Combine(_dir, "images");
        var settings = new Dictionary<string, string>
        {
            ["imageDir"] = images,
            ["nodeStateServerURL"] = "http://node-state.crik-system:8080",
            ["additionalPaths"] = "[/var/cache/app, /tmp/app]",
            ["inotifyIncompatiblePaths"] = "[/var/log/app]",
            ["keepCheckpoints"] = "3",
            ["checkpointTimeout"] = "40s",
            ["onRestoreFailure"] = "fresh",
            ["nodeStateTimeout"] = "2s",
            ["nodeStateWait"] = "1500ms",
            ["onNodeStateError"] = "checkpoint",
            ["restoreTimeout"] = "2m",
            ["checkpointBudget"] = "50s",
            ["carryLimit"] = "64Mi",
            ["onCpuMismatch"] = "refuse",
            ["checkpointInterval"] = "10m",
            ["nodeStatePollInterval"] = "30s",
            ["preDumpInterval"] = "5m",
            ["compression"] = "zstd",
            ["compressionLevel"] = "3",
            ["encryptionKeyFile"] = key,
            ["previousEncryptionKeyFile"] = key,
            ["restoreAttempts"] = "2",
            ["restoreProbation"] = "1m",
            ["lockWait"] = "20s",
            ["leaseDuration"] = "90s",
            ["leaseDoubtLimit"] = "20m",
            ["lazyRestore"] = "auto",
            ["lazyStoreWait"] = "2m",
            ["onStoreUnavailable"] = "wait",
            ["metricsAddress"] = "127.0.0.1:9400",
            ["trackWrites"] = "on",
            ["afterRestore"] = "[/bin/true, --quiet]",
        };
        Assert.Equal(AllConfigurationKeys(), settings.Keys.Order(StringComparer.Ordinal));
        string config = Path.Combine(_dir, "config.yaml");
        File.WriteAllText(config, string.Concat(settings.Select(setting => $"{setting.Key}: {setting.Value}\n")));

        using var run = CrikRun.Start(["images", "--config", config], asPid1: false);

        Assert.Equal(0, run.WaitForExit());
        Assert.Empty(run.Stderr);
        Assert.Equal($"{images} does not exist: nothing has been checkpointed there", Assert.Single(run.Stdout));
    }

    [NativeAotTheory]
    [InlineData("imageDir: [unclosed\n")]
    [InlineData("imageDir: /a\n  bad indent: here\n")]
    [InlineData("{imageDir: /a\n")]
    public void BadYamlIsOneLineWithoutAStackTrace(string yaml)
    {
        string config = Path.Combine(_dir, "config.yaml");
        File.WriteAllText(config, yaml);

        using var run = CrikRun.Start(["run", "--config", config, "--", "true"], asPid1: false);

        Assert.Equal(2, run.WaitForExit());
        string line = Assert.Single(run.Stderr);
        Assert.StartsWith($"crik: error: {config}:", line, StringComparison.Ordinal);
        Assert.Contains("invalid YAML", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
    }

    /// <summary>Help texts come from System.CommandLine's resources: trimmed or keyed resources would show names such as HelpOptionDescription.</summary>
    [NativeAotFact]
    public void HelpShowsTheResourceTextsAndEveryCommand()
    {
        using var run = CrikRun.Start(["--help"], asPid1: false);

        Assert.Equal(0, run.WaitForExit());
        string help = string.Join('\n', run.Stdout);
        Assert.Contains("Show help and usage information", help, StringComparison.Ordinal);
        Assert.Contains("Show version information", help, StringComparison.Ordinal);
        foreach (string command in new[] { "run", "check", "checkpoint", "images" })
        {
            Assert.Contains($"  {command} ", help, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("OptionDescription", help, StringComparison.Ordinal);
    }

    [NativeAotFact]
    public void UsageErrorsComeFromTheResourceTexts()
    {
        using var run = CrikRun.Start(["run", "--log-level", "loud", "--", "true"], asPid1: false);

        Assert.Equal(2, run.WaitForExit());
        Assert.Equal("crik: error: Argument 'loud' not recognized. Must be one of: 'debug' 'info' 'warning' 'error'"
            + " (see crik run --help; put the app's own arguments after --)", string.Join('\n', run.Stderr));
    }

    [NativeAotFact]
    public void VersionIsTheAssemblyVersion()
    {
        using var run = CrikRun.Start(["--version"], asPid1: false);

        Assert.Equal(0, run.WaitForExit());
        Assert.Equal("0.1.0", Assert.Single(run.Stdout));
    }

    /// <summary>The plain arguments skip System.CommandLine, the others go through it: both must log the same way.</summary>
    [NativeAotTheory]
    [InlineData("--log-format", "text", "--", "sh", "-c", "exit 3")]
    [InlineData("--log-format", "text", "sh", "-c", "exit 3")]
    public void TextLogLinesHaveTheirTimestampLevelAndMessage(params string[] args)
    {
        using var run = CrikRun.Start(["run", .. args], asPid1: false);

        Assert.Equal(3, run.WaitForExit());
        Assert.Contains(run.Stderr, line => System.Text.RegularExpressions.Regex.IsMatch(line,
            @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d INF crik: Started sh -c exit 3 as PID \d+$"));
        Assert.Contains(run.Stderr, line => line.EndsWith(" INF crik: The app (PID " + line.Split("PID ")[1].Split(')')[0] + ") exited with code 3", StringComparison.Ordinal));
    }

    [NativeAotTheory]
    [InlineData("--log-format", "json", "--", "sh", "-c", "exit 3")]
    [InlineData("--log-format", "json", "sh", "-c", "exit 3")]
    public void JsonLogLinesCarryTheRenderedMessageAndItsProperties(params string[] args)
    {
        using var run = CrikRun.Start(["run", .. args], asPid1: false);

        Assert.Equal(3, run.WaitForExit());
        using JsonDocument exited = JsonDocument.Parse(Assert.Single(run.Stderr, line => line.Contains("exited", StringComparison.Ordinal)));
        JsonElement root = exited.RootElement;
        Assert.Equal("The app (PID {Pid}) exited with code {Code}", root.GetProperty("MessageTemplate").GetString());
        Assert.Matches(@"^The app \(PID \d+\) exited with code 3$", root.GetProperty("RenderedMessage").GetString());
        Assert.Equal(3, root.GetProperty("Properties").GetProperty("Code").GetInt32());
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("Timestamp").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    private static IEnumerable<string> AllConfigurationKeys() =>
        typeof(Crik.Cli.Configuration.ConfigKeys).GetFields()
            .Where(field => field.IsLiteral)
            .Select(field => (string)field.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal);
}

/// <summary>Why a NativeAOT test cannot run here, or null when CRIK_BIN is a NativeAOT crik.</summary>
internal static class NativeAotBinary
{
    public static string? Missing { get; } = Find();

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("CRIK_BIN") is not { Length: > 0 } binary)
        {
            return "needs CRIK_BIN set to the NativeAOT publish of crik (scripts/test.sh sets it)";
        }
        // Only NativeAOT output has a __managedcode section; an apphost has none.
        byte[] marker = "__managedcode"u8.ToArray();
        return File.Exists(binary) && File.ReadAllBytes(binary).AsSpan().IndexOf(marker) >= 0
            ? null
            : $"CRIK_BIN={binary} is not a NativeAOT crik";
    }
}

/// <summary>A test of the NativeAOT binary: skipped without one, except in CI.</summary>
public sealed class NativeAotFactAttribute : FactAttribute
{
    public NativeAotFactAttribute()
    {
        if (!Prerequisites.InCi && NativeAotBinary.Missing is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A theory over the NativeAOT binary: skipped without one, except in CI.</summary>
public sealed class NativeAotTheoryAttribute : TheoryAttribute
{
    public NativeAotTheoryAttribute()
    {
        if (!Prerequisites.InCi && NativeAotBinary.Missing is { } reason)
        {
            Skip = reason;
        }
    }
}
