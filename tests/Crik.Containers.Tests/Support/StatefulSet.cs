using Crik.TestSupport;

namespace Crik.Containers.Tests.Support;

/// <summary>
/// A StatefulSet of one: a named volume for crik's images (and any others the app keeps), crik's
/// configuration with only imageDir, and each pod a new container of the runtime image, so a new
/// root file system, /tmp, /dev/shm and IP.
/// </summary>
internal sealed class StatefulSet : IDisposable
{
    public const string ImageVolumePath = "/var/lib/crik";

    /// <summary>How much the pods may do; privileged unless a test says otherwise.</summary>
    public IReadOnlyList<string> Security { get; init; } = Podman.Privileged;

    /// <summary>Pods restore lazily (lazyRestore: on): each restored pod must say its memory came in while the app ran.</summary>
    public bool LazyRestore { get; init; }

    /// <summary>More configuration for every pod (YAML lines).</summary>
    public string ExtraConfig { get; init; } = "";

    private readonly string _configText;

    private readonly string _name = $"crik-test-{Guid.NewGuid():N}"[..20];
    private readonly TempDirectory _config = new();
    private readonly List<string> _volumes = [];
    private readonly Dictionary<string, string> _volumeMounts = [];
    private readonly List<Pod> _pods = [];

    /// <param name="extraVolumes">Further volumes the app keeps, by mount path (e.g. a database's data directory).</param>
    public StatefulSet(params string[] extraVolumes)
        : this($"imageDir: {ImageVolumePath}/images\n", extraVolumes.Prepend(ImageVolumePath))
    {
    }

    private StatefulSet(string config, IEnumerable<string> volumes)
    {
        _configText = config;
        File.WriteAllText(Path.Combine(_config.Path, "config.yaml"), config);
        // Readable by an app that runs as another user (PostgreSQL).
        File.SetUnixFileMode(_config.Path, (UnixFileMode)0x1ed);
        foreach (string mountPath in volumes)
        {
            string volume = $"{_name}-{_volumes.Count}";
            Podman.MustRun("volume", "create", volume);
            _volumes.Add(volume);
            _volumeMounts[volume] = mountPath;
        }
    }

    /// <summary>
    /// Pods whose checkpoints are compressed (zstd) and encrypted with a key crik reads from
    /// /etc/crik/key (0600, as a Secret mounted with defaultMode 0400 would be).
    /// </summary>
    public static StatefulSet Sealed()
    {
        var set = new StatefulSet($"imageDir: {ImageVolumePath}/images\ncompression: zstd\nencryptionKeyFile: /etc/crik/key\n", [ImageVolumePath]);
        string key = Path.Combine(set._config.Path, "key");
        File.WriteAllText(key, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return set;
    }

    /// <summary>Pods with no volume at all: crik keeps its checkpoints in object storage at <paramref name="imageDir"/> (s3://…).</summary>
    public static StatefulSet OnObjectStorage(string imageDir, bool lazyRestore = false) => new($"imageDir: {imageDir}\n", []) { LazyRestore = lazyRestore };

    /// <summary>Runs a one-off container with the volumes (e.g. to initialise a database), not under crik.</summary>
    public void Prepare(params string[] command) =>
        Podman.MustRun([.. RunArguments(), "--rm", "--entrypoint", command[0], Podman.RuntimeImage, .. command[1..]]);

    /// <summary>Runs <paramref name="command"/> in a one-off container of the pod's kind (not under crik); returns how it ended.</summary>
    public (int ExitCode, string Output, string Error) RunOnce(string[] command) =>
        Podman.Run([.. RunArguments(), "--rm", "--entrypoint", command[0], Podman.RuntimeImage, .. command[1..]]);

    /// <summary>Starts a pod: a new container running crik with <paramref name="command"/> as its app.</summary>
    public Pod Start(string[] command, params string[] podmanOptions)
    {
        string name = $"{_name}-pod{_pods.Count + 1}";
        File.WriteAllText(Path.Combine(_config.Path, "config.yaml"), _configText + ExtraConfig + (LazyRestore ? "lazyRestore: on\n" : ""));
        Podman.MustRun([.. RunArguments(), "-d", "--name", name, .. podmanOptions, Podman.RuntimeImage, .. command]);
        var pod = new Pod(name, this);
        _pods.Add(pod);
        return pod;
    }

    /// <summary>
    /// A pod that something else starts (a hub's spawner): its podman arguments up to the image, to which the starter adds
    /// its environment (after "run") and the command (after the image). The pod is the set's, removed with it.
    /// </summary>
    public (Pod Pod, string[] RunUpToImage) Planned(params string[] podmanOptions)
    {
        string name = $"{_name}-pod{_pods.Count + 1}";
        File.WriteAllText(Path.Combine(_config.Path, "config.yaml"), _configText + ExtraConfig + (LazyRestore ? "lazyRestore: on\n" : ""));
        var pod = new Pod(name, this);
        _pods.Add(pod);
        return (pod, [.. RunArguments(), "-d", "--name", name, .. podmanOptions, Podman.RuntimeImage]);
    }

    /// <summary>
    /// Three pods in a row, each a new container: the first starts the app, each later one must
    /// restore the checkpoint its predecessor took on SIGTERM. <paramref name="checkState"/> gets each
    /// pod and its number (1-3) and checks the app's state before the pod is checkpointed.
    /// </summary>
    public Task ThreePodsAsync(string[] command, Func<Pod, int, Task> checkState, params string[] podmanOptions) =>
        PodsAsync(3, command, checkState, podmanOptions);

    /// <summary><see cref="ThreePodsAsync"/> with <paramref name="count"/> pods in a row.</summary>
    public async Task PodsAsync(int count, string[] command, Func<Pod, int, Task> checkState, params string[] podmanOptions)
    {
        for (int number = 1; number <= count; number++)
        {
            using Pod pod = Start(command, podmanOptions);
            if (number > 1)
            {
                pod.ExpectRestored(number - 1);
                if (LazyRestore)
                {
                    pod.ExpectLazilyRestored();
                }
            }
            await checkState(pod, number);
            pod.CheckpointAndStop();
        }
    }

    /// <summary>
    /// Three pods of an HTTP service on port 8080 that counts hits in memory: two hits in each pod,
    /// and each answer must show the count going on from where the previous pod stopped.
    /// </summary>
    public Task HitCounterInThreePodsAsync(string[] command, Func<int, string> answerForHit, params string[] podmanOptions) =>
        HitCounterInPodsAsync(3, command, answerForHit, podmanOptions);

    /// <summary><see cref="HitCounterInThreePodsAsync"/> with <paramref name="count"/> pods in a row.</summary>
    public Task HitCounterInPodsAsync(int count, string[] command, Func<int, string> answerForHit, params string[] podmanOptions) =>
        PodsAsync(count, command, async (pod, number) =>
        {
            pod.WaitForPort(8080);
            await pod.WaitForHttpAsync(8080);
            for (int hit = (2 * number) - 1; hit <= 2 * number; hit++)
            {
                await pod.ExpectAsync(8080, answerForHit(hit));
            }
        }, podmanOptions);

    /// <summary>The tail of crik's newest CRIU logs, from the image volume, for a failure message.</summary>
    public string CriuLogs()
    {
        if (_volumes.Count == 0)
        {
            return "(CRIU's logs are in object storage, below logs/)";
        }
        string mountPoint = Podman.MustRun("volume", "inspect", "--format", "{{.Mountpoint}}", _volumes[0]);
        string logs = Path.Combine(mountPoint, "images", "logs");
        if (!Directory.Exists(logs))
        {
            return "(no CRIU logs)";
        }
        return string.Join('\n', Directory.GetFiles(logs, "*.log").OrderByDescending(File.GetLastWriteTimeUtc).Take(2)
            .Select(log => $"--- {Path.GetFileName(log)} (errors and last lines)\n" + string.Join('\n',
                File.ReadLines(log).Where(l => l.Contains("Error", StringComparison.Ordinal)).Take(10)
                    .Concat(File.ReadLines(log).TakeLast(10)))));
    }

    public void Dispose()
    {
        foreach (Pod pod in _pods)
        {
            pod.Dispose();
        }
        foreach (string volume in _volumes)
        {
            Podman.Run("volume", "rm", "-f", volume);
        }
        _config.Dispose();
    }

    private string[] RunArguments() =>
    [
        "run", .. Security, .. Podman.Limits,
        "-v", $"{_config.Path}:/etc/crik:ro",
        "-v", $"{AppContext.BaseDirectory}Apps:/apps:ro",
        .. _volumeMounts.SelectMany(v => new[] { "-v", $"{v.Key}:{v.Value}" }),
    ];
}
