using System.Text.RegularExpressions;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Shipping;

/// <summary>
/// What can be checked of Dockerfile.crik without building all of it (no registry here): scripts/test.sh
/// publishes the same projects self-contained, as the Dockerfile publishes them NativeAOT, and the
/// real-container tests run the runtime stage itself, built from prebuilt binaries by build argument.
/// </summary>
public partial class DockerfileTests
{
    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "Dockerfile.crik"));

    [Fact]
    public void EveryPublishedProjectExists()
    {
        var projects = PublishedProject().Matches(Dockerfile).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, projects.Count);
        Assert.All(projects, p => Assert.True(File.Exists(Path.Combine(Paths.RepositoryRoot, p)), p));
    }

    [Theory]
    [InlineData("crik")]
    [InlineData("runtime")]
    [InlineData("node-state-server")]
    public void TargetExists(string target) =>
        Assert.Matches($@"(?m)^FROM \S+ AS {Regex.Escape(target)}$", Dockerfile);

    [Fact]
    public void RuntimeImageRunsCrikAsTheEntrypointWithCriuFromSource()
    {
        string runtime = Dockerfile[Dockerfile.IndexOf("AS runtime", StringComparison.Ordinal)..];
        Assert.Contains("ENTRYPOINT [\"crik\", \"run\", \"--\"]", runtime, StringComparison.Ordinal);
        Assert.Contains("COPY --from=criu-binaries /usr/local/sbin/criu", runtime, StringComparison.Ordinal);
        // By default those binaries come from the source build and the NativeAOT publish stages.
        Assert.Contains("ARG CRIU_BINARIES=criu-build\n", Dockerfile, StringComparison.Ordinal);
        Assert.Contains("FROM ${CRIU_BINARIES} AS criu-binaries\n", Dockerfile, StringComparison.Ordinal);
        Assert.Contains("ARG CRIK_BINARIES=publish\n", Dockerfile, StringComparison.Ordinal);
        Assert.Contains("FROM ${CRIK_BINARIES} AS crik-binaries\n", Dockerfile, StringComparison.Ordinal);
        Assert.Contains("iptables", runtime, StringComparison.Ordinal);
        Assert.Matches(@"ARG CRIU_VERSION=4\.([2-9]|\d\d)", Dockerfile);
    }

    [Fact]
    public void NodeStateServerImageIsNonRoot()
    {
        int stage = Dockerfile.IndexOf("AS node-state-server", StringComparison.Ordinal);
        string server = Dockerfile[Dockerfile.LastIndexOf("FROM", stage, StringComparison.Ordinal)..];
        Assert.Contains("USER $APP_UID", server, StringComparison.Ordinal);
        Assert.Contains("chiseled", server, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"dotnet publish (\S+\.csproj)")]
    private static partial Regex PublishedProject();
}
