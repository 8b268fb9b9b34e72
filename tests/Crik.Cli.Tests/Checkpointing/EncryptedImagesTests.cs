using System.Text;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// encryptionKeyFile and compression: images, saved files and manifests on the volume reveal
/// nothing of the app, anything altered is refused before CRIU runs the app, and keys can rotate.
/// </summary>
public sealed class EncryptedImagesTests : IDisposable
{
    private readonly string _keys = Directory.CreateTempSubdirectory("crik-keys-").FullName;
    private readonly string _secret = "crik-planted-" + Guid.NewGuid().ToString("N");

    public void Dispose() => Directory.Delete(_keys, recursive: true);

    [CriuFact]
    public void APlantedSecretIsFoundInAPlaintextImageDirectoryAndNowhereInAnEncryptedOne()
    {
        using (var plain = new Pods())
        {
            RunAndCheckpoint(plain);
            Assert.NotEmpty(FilesContaining(plain.ImageDir, _secret));
        }
        using var encrypted = new Pods($"encryptionKeyFile: {Key("a")}\ncompression: zstd\n");
        RunAndCheckpoint(encrypted);
        Assert.Empty(FilesContaining(encrypted.ImageDir, _secret));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(encrypted.ImageDir, "checkpoint-000001"), "*", SearchOption.AllDirectories),
            f => Path.GetFileName(f) is not ("manifest.json" or "manifest.hmac"));
        // --image-dir names the directory, --config still gives the keys (before, --config was not read, and every generation "failed").
        (int code, string listing, string error) = CrikCommand.Run(["images", "--config", encrypted.ConfigPath, "--image-dir", encrypted.ImageDir, "--verify"]);
        Assert.True(code == 0, listing + error);
        Assert.Contains("ok", listing, StringComparison.Ordinal);
    }

    [CriuFact]
    public void CompressedEncryptedGenerationsRestoreAcrossThreePods()
    {
        using var pods = new Pods($"encryptionKeyFile: {Key("a")}\ncompression: zstd\nadditionalPaths: [{SecretFile(0)}]\n");
        RunAndCheckpoint(pods);
        var manifest = pods.Manifest();
        Assert.Equal("zstd", (string)manifest["compression"]!);
        Assert.Equal(16, ((string)manifest["keyId"]!).Length);
        Assert.True((long)manifest["writtenBytes"]! * 2 < (long)manifest["imageBytes"]!, manifest.ToJsonString());
        File.Delete(SecretFile(0)); // a new pod: the saved file must come back from the (encrypted) checkpoint
        for (int pod = 2; pod <= 3; pod++)
        {
            using CrikRun next = StartApp(pods);
            next.WaitForLine("Restored checkpoint", stderr: true);
            int from = next.Stdout.Count;
            next.WaitForLine(_ => next.Stdout.Skip(from).Any(l => l.StartsWith("secret ", StringComparison.Ordinal)));
            Assert.DoesNotContain("secret lost", next.Stdout);
            Assert.True(Pods.Counts(next)[0] > 0, next.Transcript);
            Pods.CheckpointAndStop(next);
            Assert.Empty(FilesContaining(pods.ImageDir, _secret));
        }
    }

    [CriuFact]
    public void AnAlteredManifestIsRefusedAndTheOlderGenerationIsRestored()
    {
        using var pods = new Pods($"encryptionKeyFile: {Key("a")}\ncheckpointInterval: 1s\n");
        using (CrikRun first = StartApp(pods))
        {
            first.WaitForLine("Checkpoint 2 committed", TimeSpan.FromSeconds(60), stderr: true);
            first.Signal(Native.SIGKILL);
            first.WaitForExit();
        }
        string manifest = Path.Combine(pods.ImageDir, "checkpoint-000002", "manifest.json");
        File.WriteAllText(manifest, TextEdits.Changed(File.ReadAllText(manifest), "\"rootPid\":\\s*(\\d+)",
            m => $"\"rootPid\":{long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1}"));
        using CrikRun second = StartApp(pods);
        string warning = second.WaitForLine("cannot be restored", stderr: true);
        Assert.Contains("does not authenticate under its key", warning, StringComparison.Ordinal);
        second.WaitForLine("Restored checkpoint 1 ", stderr: true);
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void WithAKeyAPlaintextGenerationIsNeverRestoredAndStaysWhereItIs()
    {
        using var pods = new Pods();
        RunAndCheckpoint(pods); // plaintext, as a volume writer could plant one
        File.AppendAllText(pods.ConfigPath, $"encryptionKeyFile: {Key("a")}\n");
        using CrikRun second = StartApp(pods);
        string warning = second.WaitForLine("is not restored", stderr: true);
        Assert.Contains("it is not encrypted", warning, StringComparison.Ordinal);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
        Assert.Equal(0, Pods.Counts(second)[0]);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void AFlippedByteInAnEncryptedChunkIsRefusedBeforeTheAppRuns()
    {
        using var pods = new Pods($"encryptionKeyFile: {Key("a")}\n");
        RunAndCheckpoint(pods);
        string pack = pods.Pack(1);
        byte[] bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 3] ^= 0x01;
        File.WriteAllBytes(pack, bytes);
        using CrikRun second = StartApp(pods);
        string error = second.WaitForLine("restoring checkpoint 1 failed", stderr: true);
        Assert.Contains("does not authenticate", error, StringComparison.Ordinal);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
        Assert.Equal(0, Pods.Counts(second)[0]);
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void AfterAKeyRotationOlderGenerationsAreReadWithThePreviousKeyAndNotWithoutIt()
    {
        using var pods = new Pods($"encryptionKeyFile: {Key("a")}\n");
        RunAndCheckpoint(pods);
        string oldKeyId = (string)pods.Manifest()["keyId"]!;
        // Rotated: the new key writes, the old one still reads generation 1.
        File.WriteAllText(pods.ConfigPath, $"imageDir: {pods.ImageDir}\nencryptionKeyFile: {Key("b")}\npreviousEncryptionKeyFile: {Key("a")}\n");
        using (CrikRun second = StartApp(pods))
        {
            second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            second.WaitForLine(_ => Pods.Counts(second).Count >= 2);
            Pods.CheckpointAndStop(second);
        }
        Assert.NotEqual(oldKeyId, (string)pods.Manifest("checkpoint-000002")["keyId"]!);
        // A crik that was never given key b leaves generation 2 where it is and starts the app fresh.
        File.WriteAllText(pods.ConfigPath, $"imageDir: {pods.ImageDir}\nencryptionKeyFile: {Key("c")}\n");
        using (CrikRun third = StartApp(pods))
        {
            string warning = third.WaitForLine("is not restored", stderr: true);
            Assert.Contains("which crik was not given", warning, StringComparison.Ordinal);
            third.WaitForLine(_ => Pods.Counts(third).Count >= 2);
            Assert.Equal(0, Pods.Counts(third)[0]);
            third.Signal(Native.SIGKILL);
        }
        Assert.Contains("checkpoint-000002", pods.Committed());
        File.WriteAllText(pods.ConfigPath, $"imageDir: {pods.ImageDir}\nencryptionKeyFile: {Key("b")}\n");
        using CrikRun fourth = StartApp(pods);
        fourth.WaitForLine("Restored checkpoint 2 ", stderr: true);
        fourth.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void AnEncryptedCheckpointCopiedToAnotherImageDirWithTheSameKeyIsNotRestoredThere()
    {
        string config = $"encryptionKeyFile: {Key("a")}\n";
        using var pods = new Pods(config);
        RunAndCheckpoint(pods);
        Assert.Equal(pods.ImageDir, (string)pods.Manifest()["store"]!);
        using var other = new Pods(config);
        foreach (string copied in new[] { "checkpoint-000001", "packs" })
        {
            CopyTree(Path.Combine(pods.ImageDir, copied), Path.Combine(other.ImageDir, copied));
        }

        using (CrikRun replayed = StartApp(other))
        {
            string warning = replayed.WaitForLine("cannot be restored", stderr: true);
            Assert.Contains($"says it was taken in {pods.ImageDir}, not in {other.ImageDir}", warning, StringComparison.Ordinal);
            replayed.WaitForLine(_ => Pods.Counts(replayed).Count >= 2);
            Assert.Equal(0, Pods.Counts(replayed)[0]);
            replayed.Signal(Native.SIGKILL);
        }
        Assert.Empty(other.Committed());
        Assert.Single(other.SetAside());
        using CrikRun original = StartApp(pods);
        original.WaitForLine("Restored checkpoint 1 ", stderr: true);
        original.Signal(Native.SIGKILL);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (string directory in Directory.GetDirectories(from))
        {
            CopyTree(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }

    /// <summary>
    /// A pod whose temporary directory is read-only cannot unseal an encrypted generation's saved files (additionalPaths; the
    /// memory itself falls back to CRIU's stream, which needs no scratch): that is the node's lack, not the checkpoint's. The pod
    /// says to give it a writable /tmp and exits 125, the checkpoint stays, uncounted, and the next pod restores it.
    /// </summary>
    [CriuFact]
    public void AnEncryptedGenerationIsKeptWhenThePodsTemporaryDirectoryIsReadOnly()
    {
        using var pods = new Pods($"encryptionKeyFile: {Key("a")}\nonRestoreFailure: fail\nadditionalPaths: [{SecretFile(0)}]\n");
        RunAndCheckpoint(pods);
        string readOnly = Path.Combine(pods.Root, "read-only-tmp");
        Directory.CreateDirectory(readOnly);
        using (CrikRun noTmp = pods.StartInside($"mount --bind {readOnly} {readOnly} && mount -o remount,bind,ro {readOnly}",
            new Dictionary<string, string> { ["TMPDIR"] = readOnly, ["CRIK_TEST_SECRET"] = _secret },
            "python3", Paths.App("secret-holder.py"), SecretFile(0)))
        {
            Assert.Equal(125, noTmp.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.Contains(noTmp.Stderr, l => l.Contains("give the container a writable /tmp", StringComparison.Ordinal));
            Assert.Empty(Pods.Counts(noTmp));
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.False(Directory.Exists(Path.Combine(pods.ImageDir, "set-aside")));

        using CrikRun next = StartApp(pods);
        next.WaitForLine("Restored checkpoint 1 ", stderr: true);
        Assert.DoesNotContain(next.Stderr, l => l.Contains("Resuming checkpoint 1 again", StringComparison.Ordinal));
        next.WaitForLine(_ => Pods.Counts(next).Count >= 2);
        Assert.True(Pods.Counts(next)[0] > 3, next.Transcript);
        next.Signal(Native.SIGKILL);
    }

    private CrikRun StartApp(Pods pods) => CrikRun.Start(["run", "--config", pods.ConfigPath, "--", "python3", Paths.App("secret-holder.py"), SecretFile(0)],
        environment: new Dictionary<string, string> { ["CRIK_TEST_SECRET"] = _secret });

    private void RunAndCheckpoint(Pods pods)
    {
        using CrikRun first = StartApp(pods);
        first.WaitForLine("secret ok");
        first.WaitForLine("count 3");
        Pods.CheckpointAndStop(first);
    }

    private string SecretFile(int n) => Path.Combine(_keys, $"secret-{n}.txt");

    /// <summary>A key file (base64, as a mounted Secret gives it), one per name.</summary>
    private string Key(string name)
    {
        string path = Path.Combine(_keys, name + ".key");
        if (!File.Exists(path))
        {
            File.WriteAllText(path, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        }
        return path;
    }

    private static List<string> FilesContaining(string directory, string text)
    {
        byte[] needle = Encoding.UTF8.GetBytes(text);
        return Directory.GetFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => File.ReadAllBytes(f).AsSpan().IndexOf(needle) >= 0).ToList();
    }
}
