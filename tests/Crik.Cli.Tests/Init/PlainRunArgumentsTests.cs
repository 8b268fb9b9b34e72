using Crik.Cli.Commands;
using Xunit;

namespace Crik.Cli.Tests.Init;

/// <summary>The shortcut for the usual <c>crik run</c> arguments must mean exactly what System.CommandLine makes of them.</summary>
[Trait("Category", "Unit")]
public class PlainRunArgumentsTests
{
    /// <summary>Each case is one argument list, its arguments separated by |.</summary>
    [Theory]
    [InlineData("run|--|/bin/true")]
    [InlineData("run|--|sh|-c|exit 3")]
    [InlineData("run|--|app|--|--help|--config|x|@file|[diagram]")]
    [InlineData("run|--config|/etc/crik/config.yaml|--|app")]
    [InlineData("run|--log-level|debug|--log-format|json|--|app|arg")]
    [InlineData("run|--log-format|text|--config|relative.yaml|--log-level|error|--|app")]
    [InlineData("run|--log-level|warning|--|app")]
    [InlineData("run|--log-level|info|--|app")]
    [InlineData("run|--|-app|-x")]
    public void AcceptedArgumentsMeanWhatTheFullParserMakesOfThem(string arguments)
    {
        string[] args = Split(arguments);
        RunOptions plain = Assert.IsType<RunOptions>(PlainRunArguments.TryRead(args));
        RunOptions full = ParsedByTheFullCommandLine(args);
        Assert.Equal(full.Command, plain.Command);
        Assert.True(full.CommandAfterSeparator);
        Assert.True(plain.CommandAfterSeparator);
        Assert.Equal(full.ConfigPath, plain.ConfigPath);
        Assert.Equal(full.LogLevel, plain.LogLevel);
        Assert.Equal(full.LogFormat, plain.LogFormat);
    }

    [Theory]
    [InlineData("")]
    [InlineData("--help")]
    [InlineData("check")]
    [InlineData("run")]
    [InlineData("run|--")]
    [InlineData("run|app")]
    [InlineData("run|--help")]
    [InlineData("run|--help|--|app")]
    [InlineData("run|-h|--|app")]
    [InlineData("run|--bogus|--|app")]
    [InlineData("run|--config")]
    [InlineData("run|--config|--|app")]
    [InlineData("run|--config||--|app")]
    [InlineData("run|--config|a|--config|b|--|app")]
    [InlineData("run|--config=a|--|app")]
    [InlineData("run|--config:a|--|app")]
    [InlineData("run|--config|-x|--|app")]
    [InlineData("run|--config|/?|--|app")]
    [InlineData("run|--config|check|--|app")]
    [InlineData("run|--config|@args|--|app")]
    [InlineData("run|--log-level|INFO|--|app")]
    [InlineData("run|--log-level|verbose|--|app")]
    [InlineData("run|--log-level|information|--|app")]
    [InlineData("run|--log-format|xml|--|app")]
    [InlineData("run|--log-level|debug|--log-level|info|--|app")]
    [InlineData("RUN|--|app")]
    [InlineData("[diagram]|run|--|app")]
    public void EverythingElseIsLeftToTheFullParser(string arguments)
    {
        Assert.Null(PlainRunArguments.TryRead(Split(arguments)));
    }

    private static string[] Split(string arguments) => arguments.Length == 0 ? [] : arguments.Split('|');

    private static RunOptions ParsedByTheFullCommandLine(string[] args)
    {
        RunOptions? parsed = null;
        int code = CrikCommandLine.Invoke(args, options =>
        {
            parsed = options;
            return 0;
        });
        Assert.Equal(0, code);
        return Assert.IsType<RunOptions>(parsed);
    }
}
