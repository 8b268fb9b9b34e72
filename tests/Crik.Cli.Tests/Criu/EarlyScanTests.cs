using System.Globalization;
using System.Text.RegularExpressions;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.WriteTracking;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Criu;

/// <summary>
/// CRIU's scan of the page tables beside the dump (criu-patches/0008), split over threads in pieces of the address space
/// (criu-patches/0011): whatever the pieces, for each process of the app, the dump's images are those CRIU makes when it
/// scans the pages itself.
/// </summary>
public sealed partial class EarlyScanTests : IDisposable
{
    private const string Mib = "256";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _work = new();

    [WrittenOnlyFact]
    public void ThePagesScannedInPiecesGiveTheImagesOfOneWalk()
    {
        string app = CompiledApp.Build("scattered-pages.c", Path.Combine(_work.Path, "scattered-pages"));
        string output = Path.Combine(_work.Path, "app.out");
        int pid = Spawner.Spawn(new SpawnRequest([app, Mib], NewSession: true, OutputPath: output));
        try
        {
            Poll.Until(() => Said(output, "ready"), $"the app did not get ready: {Read(output)}", Wait);
            using ProcessWrites writes = ProcessWrites.Start(pid, Wait);
            writes.Arm(); // its rewrites below are then written pages among pages it did not write since
            Assert.True(Posix.TrySignal(pid, Signal.SIGUSR1));
            Poll.Until(() => Said(output, "written"), $"the app did not rewrite its pages: {Read(output)}", Wait);

            Dump itself = DumpWith(pid, "itself", "CRIU_FAULT=140"); // as before criu-patches/0008: no scan beside the dump
            Dump small = DumpWith(pid, "small", "CRIU_FAULT=139");
            Dump usual = DumpWith(pid, "usual");

            Assert.Contains("The pages are scanned with the rest of the dump (fault injected)", itself.Log, StringComparison.Ordinal);
            Assert.Null(itself.Scan);
            Assert.True(small.Scan is { Pieces: 64 }, small.Log);
            // a thread for each CPU criu may run on but its own, and for each 512 MiB the app has in memory: one at least, eight at most
            Assert.True(usual.Scan is { Pieces: > 1, Threads: >= 1 and <= 8 }, usual.Log);
            Assert.True(usual.Scan.Regions > 10_000, $"the app's pages make only {usual.Scan.Regions} regions"); // runs short and long
            string[] images = [.. Directory.GetFiles(itself.Directory).Select(Path.GetFileName).OfType<string>()
                .Where(f => f.StartsWith("pagemap-", StringComparison.Ordinal) || f.StartsWith("mm-", StringComparison.Ordinal))];
            Assert.Equal(4, images.Length); // the app and its child
            foreach (Dump other in new[] { small, usual })
            {
                Assert.Equal(2, ScannedLine().Count(other.Log));
                foreach (string image in images)
                {
                    Assert.True(Same(itself.Image(image), other.Image(image)), $"{image} of {other.Name} differs (mm: the areas, guard pages among them)");
                }
            }
        }
        finally
        {
            _ = Posix.TrySignal(pid, Signal.SIGKILL);
            Poll.Until(() => Posix.ReapChild(pid, out _), "the app was not reaped", Wait);
        }
    }

    public void Dispose() => _work.Dispose();

    private Dump DumpWith(int pid, string name, params string[] environment)
    {
        string images = Directory.CreateDirectory(Path.Combine(_work.Path, name)).FullName;
        (int code, string error) = HostCommand.Run("env", [.. environment, "criu", "dump", "-t", pid.ToString(CultureInfo.InvariantCulture), "-D", images,
            "-o", "dump.log", "-v4", "--leave-running", "--track-mem-uffd-wp"]);
        string log = File.ReadAllText(Path.Combine(images, "dump.log"));
        Assert.True(code == 0, $"criu dump ({name}) exited {code}: {error}\n{log}");
        Match threads = ThreadsLine().Match(log), scanned = ScannedLine().Match(log);
        Assert.True(threads.Success == scanned.Success, $"the dump ({name}) started a scan beside itself and did not end it, or the reverse:\n{log}");
        return new Dump(name, images, log, !threads.Success ? null : new Scan(int.Parse(threads.Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(scanned.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(scanned.Groups[2].Value, CultureInfo.InvariantCulture)));
    }

    private static bool Said(string output, string line) => Read(output).Split('\n').Contains(line);

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    private static bool Same(string a, string b) => File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b));

    [GeneratedRegex(@"Scanning the pages beside the dump with (\d+) threads?")]
    private static partial Regex ThreadsLine();

    [GeneratedRegex(@"Scanned \d+'s pages beside the dump: (\d+) regions in [\d.]+ ms \((\d+) pieces?\)")]
    private static partial Regex ScannedLine();

    private sealed record Scan(int Threads, long Regions, int Pieces);

    private sealed record Dump(string Name, string Directory, string Log, Scan? Scan)
    {
        public string Image(string name) => Path.Combine(Directory, name);
    }
}
