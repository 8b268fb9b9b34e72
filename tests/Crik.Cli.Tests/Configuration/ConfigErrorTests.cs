using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Configuration;

/// <summary>Bad configuration: one error line naming file, line and key; exit 2; the app never starts.</summary>
public sealed class ConfigErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("imageDir: /x\n  bad: indent: here\n", ":2: invalid YAML: While scanning a plain scalar value, found invalid mapping.")]
    [InlineData("imageDir: gs://bucket/app\n", ":1: imageDir: \"gs://bucket/app\" is not a path or an s3:// address; give a volume's path (e.g. /var/lib/crik) or s3://bucket/prefix")]
    [InlineData("imageDir: s3://Bucket_1/app\n", ":1: imageDir: \"Bucket_1\" in s3://Bucket_1/app is not a bucket name")]
    [InlineData("imageDir: /x\nkeepCheckpoints: 3\nimageDir: /y\n", ":3: key \"imageDir\" appears twice (lines 1 and 3); keep one of them")]
    [InlineData("imageDir: /x\nrestoreTimeout: &t 2m\nlockWait: *t\nimageDir: /y\n", ":4: key \"imageDir\" appears twice (lines 1 and 4); keep one of them")]
    [InlineData("imageDir: &k /x\n*k : /y\n", ":2: a key is the alias *k; write the key itself")]
    [InlineData("imageDir: /ok\n&k [*k]: x\n", ":2: a key is a list; a key must be a plain name, such as imageDir")]
    [InlineData("imageDir: /ok\n? {a: b}\n: x\n", ":2: a key is a mapping; a key must be a plain name")]
    [InlineData("imageDir: /ok\nadditionalPaths: &p [/a, *p]\n", ":2: the alias *p is inside the list or mapping it names")]
    [InlineData("imageDir: /ok\ncheckpointTimeout: NaN\n", ":2: checkpointTimeout: must be a positive duration")]
    [InlineData("imageDir: /ok\ncheckpointTimeout: -Infinity\n", ":2: checkpointTimeout: must be a positive duration")]
    [InlineData("imageDir: /x\n---\nimageDir: /y\n", ":2: a second YAML document starts here (---)")]
    [InlineData("compressionLevel: 25\nimageDir: /ok\ncompression: zstd\n", ":1: compressionLevel: zstd levels go from 1 to 19, got 25")]
    [InlineData("imageDir: /ok\ncheckpointTimeout: 2000h\n", ":2: checkpointTimeout: must be at most 24h, got \"2000h\"")]
    [InlineData("imageDir: /ok\ncheckpointTimeout: 99999999999999999999\n", ":2: checkpointTimeout: must be at most 24h")]
    [InlineData("imageDir: /ok\nnodeStateTimeout: 25h\n", ":2: nodeStateTimeout: must be at most 24h")]
    [InlineData("imageDir: /ok\nrestoreTimeout: 0s\n", ":2: restoreTimeout: must be a positive duration")]
    [InlineData("imageDir: /ok\nnodeStateWait: 11s\n", ":2: nodeStateWait: must be a duration from 0 to 10s, such as 1s or 500ms, got \"11s\"")]
    [InlineData("imageDir: /ok\nnodeStateWait: a while\n", ":2: nodeStateWait: must be a duration from 0 to 10s")]
    [InlineData("imageDir: /ok\ncheckpointBudget: 0.0001s\n", ":2: checkpointBudget: must be at least 1ms")]
    [InlineData("imageDir: \"/x\\0y\"\n", ":1: imageDir: must not contain a NUL character, got \"/x\\u0000y\"")]
    [InlineData("imageDir: /ok\nadditionalPaths: [\"/a\\0\"]\n", ":2: additionalPaths: must not contain a NUL character")]
    [InlineData("imageDir: /x\0\nkeepCheckpoints: lots\n", ":1: the file contains a NUL byte")]
    [InlineData("imageDir: /ok\nkeepCheckpoints: lots\n", ":2: keepCheckpoints: must be a whole number")]
    [InlineData("imageDir: /ok\nkeepCheckpoints: 3000000000\n", ":2: keepCheckpoints: must be a whole number from 1 to 2147483647, got \"3000000000\"")]
    [InlineData("imageDir: relative/dir\n", ":1: imageDir: must be an absolute path")]
    [InlineData("imageDir: /ok\nnodeStateServerURL: not a url\n", ":2: nodeStateServerURL: must be an http:// or https:// URL")]
    [InlineData("imageDir: /ok\nnodeStateServerURL: http://h:1/?token=a&WaitMs=500\n", ":2: nodeStateServerURL: must not carry waitMs: crik asks for it itself at a SIGTERM (set nodeStateWait instead)")]
    [InlineData("imageDir: /ok\nnodeStateServerURL: ftp://admin:s3cret@h:1/\n", ":2: nodeStateServerURL: must be an http:// or https:// URL, e.g. http://crik-node-state-server.crik-system.svc.cluster.local:9376, got \"ftp://***@h:1/\"")]
    [InlineData("imageDir: /ok\nadditionalPaths: /single\n", ":2: additionalPaths: must be a list of absolute paths")]
    [InlineData("imageDir: /ok\ninotifyIncompatiblePaths:\n  - /fine\n  - nope\n", ":4: inotifyIncompatiblePaths: must be an absolute path")]
    [InlineData("imageDir: /ok\nadditionalPaths: [/data, //]\n", ":2: additionalPaths: must name a file or directory below /, not / itself")]
    [InlineData("imageDir: /ok\ninotifyIncompatiblePaths: [/]\n", ":2: inotifyIncompatiblePaths: must name a file or directory below /, not / itself")]
    [InlineData("imageDir: /ok\ncheckpointTimeout: soon\n", ":2: checkpointTimeout: must be a positive duration")]
    [InlineData("imageDir: /ok\nonRestoreFailure: retry\n", ":2: onRestoreFailure: must be fresh or fail")]
    [InlineData("imageDir: /ok\nonNodeStateError: maybe\n", ":2: onNodeStateError: must be checkpoint or skip")]
    [InlineData("imageDir: /ok\nlazyRestore: yes\n", ":2: lazyRestore: must be auto or on or off")]
    [InlineData("imageDir: /ok\ntrackWrites: yes\n", ":2: trackWrites: must be auto or on or off")]
    [InlineData("imageDir: /ok\nafterRestore: /usr/local/bin/hand-over --quiet\n", ":2: afterRestore: must be a program and its arguments as a list, e.g. [\"/usr/local/bin/after-restore\", \"--quiet\"]")]
    [InlineData("imageDir: /ok\nafterRestore: []\n", ":2: afterRestore: must be a program and its arguments as a list")]
    [InlineData("imageDir: /ok\nafterRestore: [\"\", \"x\"]\n", ":2: afterRestore: must be a program and its arguments as a list, e.g. [\"/usr/local/bin/after-restore\", \"--quiet\"]; the program is empty")]
    [InlineData("imageDir: /ok\nafterRestore: [[\"sh\"]]\n", ":2: afterRestore: must be a single value, not a list or a mapping")]
    [InlineData("- just\n- a list\n", ":1: the configuration must be a mapping")]
    [InlineData("imagedir: /var/lib/crik\n", ":1: unknown key \"imagedir\": did you mean \"imageDir\"? (a key this close to one crik knows is taken for a typo)")]
    [InlineData("imageDir: /ok\nkeepCheckpoint: 3\n", ":2: unknown key \"keepCheckpoint\": did you mean \"keepCheckpoints\"?")]
    public void BadConfigurationFailsWithOneLineAndExitCode2(string yaml, string expected)
    {
        string config = Write(yaml);
        string marker = Path.Combine(_dir, "app-started");
        using var run = CrikRun.Start(["run", "--config", config, "--", "touch", marker], asPid1: false);
        Assert.Equal(2, run.WaitForExit());
        string line = Assert.Single(run.Stderr);
        Assert.StartsWith($"crik: error: {config}{expected}", line, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "the app must not start with a bad configuration");
    }

    [Theory]
    [InlineData("short", "holds 5 bytes, not a 256-bit key: it must hold 32 raw bytes or their base64 (make one with: head -c 32 /dev/urandom | base64)")]
    [InlineData(null, "cannot be read (")]
    public void AKeyFileThatIsNotAKeyFailsWithOneLineAndExitCode2(string? content, string expected)
    {
        string key = Path.Combine(_dir, "key");
        if (content is not null)
        {
            File.WriteAllText(key, content);
        }
        string marker = Path.Combine(_dir, "app-started");
        using var run = CrikRun.Start(["run", "--config", Write($"imageDir: {_dir}/images\nencryptionKeyFile: {key}\n"), "--", "touch", marker], asPid1: false);
        Assert.Equal(2, run.WaitForExit());
        Assert.StartsWith($"crik: error: encryptionKeyFile {key} {expected}", Assert.Single(run.Stderr), StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    /// <summary>What no key file can be: crik must refuse it at once, not hang on it or read it whole.</summary>
    [Theory]
    [InlineData("/dev/zero", "is a character device, not a regular file: point it at a file holding 32 random bytes or their base64")]
    [InlineData("fifo", "is a FIFO (named pipe), not a regular file: point it at a file holding 32 random bytes or their base64")]
    [InlineData("sparse", "holds 1073741824 bytes, not a 256-bit key: it must hold 32 raw bytes or their base64")]
    [InlineData("passphrase", "holds 32 characters of text, which looks like a passphrase, not a key: crik needs 32 random bytes or their base64")]
    public void AKeyFileThatCannotBeAKeyIsRefusedQuickly(string kind, string expected)
    {
        string key = kind.StartsWith('/') ? kind : Path.Combine(_dir, kind);
        switch (kind)
        {
            case "fifo":
                HostCommand.MustRun("mkfifo", key);
                break;
            case "sparse":
                HostCommand.MustRun("truncate", "-s", "1G", key);
                break;
            case "passphrase":
                File.WriteAllText(key, "correct horse battery staple 42!");
                break;
        }
        string marker = Path.Combine(_dir, "app-started");
        using var run = CrikRun.Start(["run", "--config", Write($"imageDir: {_dir}/images\nencryptionKeyFile: {key}\n"), "--", "touch", marker], asPid1: false);
        Assert.Equal(2, run.WaitForExit(TimeSpan.FromSeconds(10)));
        string line = Assert.Single(run.Stderr);
        Assert.StartsWith($"crik: error: encryptionKeyFile {key} {expected}", line, StringComparison.Ordinal);
        Assert.EndsWith("(make one with: head -c 32 /dev/urandom | base64)", line, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void AKeyFileOthersCanReadIsAWarningAndTheAppStillRuns()
    {
        string open = Path.Combine(_dir, "open-key"), closed = Path.Combine(_dir, "closed-key");
        foreach (string path in new[] { open, closed })
        {
            File.WriteAllText(path, Convert.ToBase64String(new byte[32]) + "\n");
        }
        File.SetUnixFileMode(open, (UnixFileMode)0x1a4 /* 0644 */);
        File.SetUnixFileMode(closed, (UnixFileMode)0x180 /* 0600 */);
        using (var run = CrikRun.Start(["run", "--config", Write($"imageDir: {_dir}/images\nencryptionKeyFile: {open}\n"), "--", "true"], asPid1: false))
        {
            Assert.Equal(0, run.WaitForExit(TimeSpan.FromSeconds(10)));
            Assert.Contains(run.Stderr, l => l.Contains("WRN", StringComparison.Ordinal)
                && l.Contains($"encryptionKeyFile {open} can be read by its group and others (mode 644)", StringComparison.Ordinal));
        }
        using (var run = CrikRun.Start(["run", "--config", Write($"imageDir: {_dir}/images\nencryptionKeyFile: {closed}\n"), "--", "true"], asPid1: false))
        {
            Assert.Equal(0, run.WaitForExit(TimeSpan.FromSeconds(10)));
            Assert.DoesNotContain(run.Stderr, l => l.Contains("can be read by", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("compression: gzip\n", ":2: compression: must be none or zstd or lz4, got \"gzip\"")]
    [InlineData("compression: zstd\ncompressionLevel: 40\n", ":3: compressionLevel: zstd levels go from 1 to 19, got 40")]
    [InlineData("previousEncryptionKeyFile: /etc/hostname\n", "previousEncryptionKeyFile is set without encryptionKeyFile: give the current key too")]
    public void BadImageSettingsFailWithOneLineAndExitCode2(string yaml, string expected)
    {
        using var run = CrikRun.Start(["run", "--config", Write($"imageDir: {_dir}/images\n{yaml}"), "--", "true"], asPid1: false);
        Assert.Equal(2, run.WaitForExit());
        Assert.Contains(expected, Assert.Single(run.Stderr), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingExplicitConfigFileIsAnError()
    {
        using var run = CrikRun.Start(["run", "--config", Path.Combine(_dir, "absent.yaml"), "--", "true"], asPid1: false);
        Assert.Equal(2, run.WaitForExit());
        Assert.Contains("configuration file not found (named by --config)", Assert.Single(run.Stderr), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileNamedByCrikConfigIsAnError()
    {
        var environment = new Dictionary<string, string> { ["CRIK_CONFIG"] = Path.Combine(_dir, "absent.yaml") };
        using var run = CrikRun.Start(["run", "--", "true"], asPid1: false, environment: environment);
        Assert.Equal(2, run.WaitForExit());
        Assert.Contains("(named by CRIK_CONFIG)", Assert.Single(run.Stderr), StringComparison.Ordinal);
    }

    [Fact]
    public void CrikConfigIsUsedWhenNoFlagIsGiven()
    {
        var environment = new Dictionary<string, string> { ["CRIK_CONFIG"] = Write("imageDir: nope\n") };
        using var run = CrikRun.Start(["run", "--", "true"], asPid1: false, environment: environment);
        Assert.Equal(2, run.WaitForExit());
        Assert.Contains("imageDir: must be an absolute path", Assert.Single(run.Stderr), StringComparison.Ordinal);
    }

    /// <summary>A key unlike any crik knows (a newer crik's, say) is a warning naming it, and the app runs.</summary>
    [Fact]
    public void UnknownKeyIsAWarningNamingTheKeyAndTheAppStillRuns()
    {
        string config = Write("imageDir: /var/lib/crik\nsnapshotEncryption: on\n");
        using var run = CrikRun.Start(["run", "--config", config, "--", "sh", "-c", "exit 0"], asPid1: false);
        Assert.Equal(0, run.WaitForExit());
        Assert.Contains(run.Stderr, l => l.Contains("WRN", StringComparison.Ordinal)
            && l.Contains($"{config}:2: unknown key \"snapshotEncryption\" is ignored (known keys: ", StringComparison.Ordinal));
    }

    private string Write(string yaml)
    {
        string path = Path.Combine(_dir, $"config-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }
}
