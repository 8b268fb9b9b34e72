// Commands/ owns the command line and the wiring of each subcommand; the logic lives in the folders it wires.
using System.CommandLine;
using Crik.Cli.Logging;
using Crik.Cli.Supervision;

namespace Crik.Cli.Commands;

/// <summary>crik's command line: <c>crik run [options] -- COMMAND [ARGS...]</c>, <c>crik check</c>, <c>crik checkpoint</c>, <c>crik images</c>, --help and --version.</summary>
internal static class CrikCommandLine
{
    public static int Invoke(string[] args, SignalRelay signals)
    {
        if (PlainRunArguments.TryRead(args) is { } plain)
        {
            return RunWithDefaultExceptionHandler(plain, signals);
        }
        return Invoke(args, options => RunCommand.Execute(options, signals));
    }

    /// <summary>Parses <paramref name="args"/> with the full command line and runs what they ask; <paramref name="run"/> is <c>crik run</c>.</summary>
    internal static int Invoke(string[] args, Func<RunOptions, int> run)
    {
        var configOption = new Option<string?>("--config")
        {
            Description = $"Configuration file [default: ${Configuration.ConfigLoader.PathVariable}, else {Configuration.ConfigLoader.DefaultPath}; without it crik is a plain init]",
            HelpName = "PATH",
        };
        var logLevelOption = new Option<string>("--log-level")
        {
            Description = "Least important log level shown",
            HelpName = "debug|info|warning|error",
            DefaultValueFactory = _ => RunOptions.DefaultLogLevel,
        };
        logLevelOption.AcceptOnlyFromAmong(RunOptions.LogLevels);
        var logFormatOption = new Option<string>("--log-format")
        {
            Description = "Log line format, on stderr",
            HelpName = "text|json",
            DefaultValueFactory = _ => RunOptions.DefaultLogFormat,
        };
        logFormatOption.AcceptOnlyFromAmong(RunOptions.LogFormats);
        var commandArgument = new Argument<string[]>("command")
        {
            Description = "The app to run and its arguments, after --",
            Arity = ArgumentArity.ZeroOrMore,
        };

        var runCommand = new Command("run", "Run COMMAND as PID 1's child: forward signals, reap zombies, checkpoint it on SIGTERM and restore it on start when an image directory is configured")
        {
            configOption, logLevelOption, logFormatOption, commandArgument,
        };
        runCommand.SetAction(parsed => run(RunOptions.From(
            parsed.GetValue(commandArgument) ?? [],
            parsed.GetValue(configOption),
            parsed.GetValue(logLevelOption)!,
            parsed.GetValue(logFormatOption)!)));

        var checkConfigOption = new Option<string?>("--config")
        {
            Description = configOption.Description,
            HelpName = "PATH",
        };
        var check = new Command("check", "Say what this container lets crik and CRIU do and what would fail; exit 0 only when checkpoint and restore can work (e.g. kubectl exec POD -- crik check)")
        {
            checkConfigOption,
        };
        check.SetAction(parsed => CheckCommand.Execute(parsed.GetValue(checkConfigOption)));

        var exitOption = new Option<bool>("--exit")
        {
            Description = "After the commit, stop the app and let crik exit 0, as after a SIGTERM checkpoint (a planned move)",
        };
        var checkpoint = new Command("checkpoint", "Ask the crik running this container's app for a checkpoint now, and wait until it is committed (e.g. kubectl exec POD -- crik checkpoint)")
        {
            exitOption,
        };
        checkpoint.SetAction(parsed => CheckpointCommand.Execute(parsed.GetValue(exitOption)));

        var imagesConfigOption = new Option<string?>("--config")
        {
            Description = configOption.Description,
            HelpName = "PATH",
        };
        var imageDirOption = new Option<string?>("--image-dir")
        {
            Description = "The image directory to list [default: imageDir of the configuration]",
            HelpName = "DIR",
        };
        var verifyOption = new Option<bool>("--verify")
        {
            Description = "Read every image and check it against its checksum (slower: reads everything)",
        };
        var images = new Command("images", "List the checkpoints in the image directory, newest first: state, time, size, node, and whether each is whole; changes nothing")
        {
            imagesConfigOption, imageDirOption, verifyOption,
        };
        images.SetAction(parsed => ImagesCommand.Execute(parsed.GetValue(imagesConfigOption), parsed.GetValue(imageDirOption), parsed.GetValue(verifyOption)));

        var root = new RootCommand("crik: checkpoint and restore for Kubernetes pods with CRIU, and a correct PID 1 for containers.");
        root.Subcommands.Add(runCommand);
        root.Subcommands.Add(check);
        root.Subcommands.Add(checkpoint);
        root.Subcommands.Add(images);

        ParseResult result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count > 0)
        {
            string hint = result.CommandResult.Command == runCommand ? "crik run --help"
                : result.CommandResult.Command == check ? "crik check --help"
                : result.CommandResult.Command == checkpoint ? "crik checkpoint --help"
                : result.CommandResult.Command == images ? "crik images --help" : "crik --help";
            StandardStreams.Error.WriteLine($"crik: error: {result.Errors[0].Message} (see {hint}; put the app's own arguments after --)");
            return ExitCodes.UsageError;
        }
        return result.Invoke(new InvocationConfiguration { Output = StandardStreams.Output, Error = StandardStreams.Error });
    }

    /// <summary>Runs <c>crik run</c> as System.CommandLine's invocation would: an exception that escapes is printed and the exit code is 1.</summary>
    private static int RunWithDefaultExceptionHandler(RunOptions options, SignalRelay signals)
    {
        try
        {
            return RunCommand.Execute(options, signals);
        }
        catch (Exception e)
        {
            if (e is not OperationCanceledException)
            {
                StandardStreams.Error.Write("Unhandled exception: ");
                StandardStreams.Error.WriteLine(e.ToString());
            }
            return 1;
        }
    }
}
