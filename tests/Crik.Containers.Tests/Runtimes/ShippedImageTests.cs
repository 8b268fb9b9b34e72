using System.Text.RegularExpressions;
using Crik.Containers.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Containers.Tests.Runtimes;

/// <summary>
/// The runtime image as it ships (Dockerfile.crik's runtime stage with the NativeAOT crik): its
/// entrypoint, CRIU and libraries work together, with compression and encryption on.
/// </summary>
public partial class ShippedImageTests
{
    [ContainerFact]
    public async Task TheImageChecksCheckpointsAndRestoresCompressedEncryptedImages()
    {
        using var set = StatefulSet.Sealed();
        (int checkCode, string checkOutput, string checkError) = set.RunOnce(["crik", "check"]);
        Assert.True(checkCode == 0, checkOutput + checkError);

        Pod? previous = null;
        await set.ThreePodsAsync(["sh", "-c", "i=0; while :; do echo \"count $i\"; i=$((i+1)); sleep 0.1; done"], (pod, number) =>
        {
            int next = previous is null ? 0 : Counts(previous).Max() + 1;
            Poll.Until(() => Counts(pod).Count >= 5 || !pod.IsRunning(), $"{pod.Name} to count", TimeSpan.FromSeconds(60));
            Assert.True(Counts(pod).Count >= 5 && Counts(pod)[0] == next, $"expected counts from {next} on\n{pod.Diagnostics}");
            previous = pod;
            return Task.CompletedTask;
        });

        (int code, string listing, string error) = set.RunOnce(["crik", "images", "--verify"]);
        Assert.True(code == 0, listing + error);
        Assert.Matches(@"(?m)^3\s+committed\s.*zstd, encrypted \(\w{8}\)\s.*\sok\s", listing);
    }

    private static List<int> Counts(Pod pod) =>
        pod.Logs.Split('\n').Select(l => CountLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    [GeneratedRegex(@"^count (\d+)$")]
    private static partial Regex CountLine();
}
