// Commands/ owns the command line and the wiring of each subcommand; the logic lives in the folders it wires.
using System.CommandLine;
using System.CommandLine.Parsing;
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
        var root = new RootCommand("crik: checkpoint and restore for Kubernetes pods with CRIU, and a correct PID 1 for containers.");
        root.Subcommands.Add(RunCommandLine(run));
        root.Subcommands.Add(CheckCommandLine());
        root.Subcommands.Add(CheckpointCommandLine());
        root.Subcommands.Add(ImagesCommandLine());

        ParseResult result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count > 0)
        {
            StandardStreams.TryWriteError($"crik: error: {UsageError(result, root)}");
            return ExitCodes.UsageError;
        }
        try
        {
            return result.Invoke(new InvocationConfiguration { Output = StandardStreams.Output, Error = StandardStreams.Error, EnableDefaultExceptionHandler = false });
        }
        catch (IOException e) when (StandardStreams.OutputFailed)
        {
            // Help or a listing read by `| head`: stdout closed early is no error of the reader's; anything else (a full disk) is said once.
            if (e.HResult == (int)Interop.Errno.EPIPE)
            {
                return ExitCodes.OutputClosed;
            }
            StandardStreams.TryWriteError($"crik: error: could not write to stdout: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            return Unhandled(e);
        }
    }

    /// <summary>
    /// What is wrong with the command line, on one line, with where to read more: an unknown command is named as such (System.CommandLine
    /// says only that none was given), and a list of allowed values is run together.
    /// </summary>
    private static string UsageError(ParseResult result, RootCommand root)
    {
        Command command = result.CommandResult.Command;
        if (command == root && result.UnmatchedTokens is [string first, ..] && !first.StartsWith('-'))
        {
            return $"unknown command '{first}': crik's commands are {string.Join(", ", root.Subcommands.Select(c => c.Name))} (see crik --help)";
        }
        string message = string.Join(' ', result.Errors[0].Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        return command == root ? $"{message} (see crik --help)"
            : command.Name == "run" ? $"{message} (see crik run --help; put the app's own arguments after --)"
            : $"{message} (see crik {command.Name} --help)";
    }

    /// <summary>An exception no command handled, printed as System.CommandLine's own handler would; the exit code is 1.</summary>
    private static int Unhandled(Exception e)
    {
        if (e is not OperationCanceledException)
        {
            StandardStreams.TryWriteError($"Unhandled exception: {e}");
        }
        return 1;
    }

    private static readonly string ConfigDescription =
        $"Configuration file [default: ${Configuration.ConfigLoader.PathVariable}, else {Configuration.ConfigLoader.DefaultPath}; without it crik is a plain init]";

    private static Option<string?> ConfigOption() => new("--config") { Description = ConfigDescription, HelpName = "PATH" };

    private static Command RunCommandLine(Func<RunOptions, int> run)
    {
        Option<string?> configOption = ConfigOption();
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
        runCommand.SetAction(parsed =>
        {
            string[] command = parsed.GetValue(commandArgument) ?? [];
            return run(RunOptions.From(
                command,
                AllAfterTheSeparator(parsed, command.Length),
                parsed.GetValue(configOption),
                parsed.GetValue(logLevelOption)!,
                parsed.GetValue(logFormatOption)!));
        });
        return runCommand;
    }

    /// <summary>
    /// Whether the command's <paramref name="count"/> words are exactly those after the first <c>--</c>. An unknown
    /// option before it (<c>crik run --bogus -- app</c>) is taken as the command's first word, and is not.
    /// </summary>
    private static bool AllAfterTheSeparator(ParseResult parsed, int count)
    {
        IReadOnlyList<Token> tokens = parsed.Tokens;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Type == TokenType.DoubleDash)
            {
                return tokens.Count - i - 1 == count;
            }
        }
        return false;
    }

    private static Command CheckCommandLine()
    {
        Option<string?> configOption = ConfigOption();
        var check = new Command("check", "Say what this container lets crik and CRIU do and what would fail; exit 0 only when checkpoint and restore can work (e.g. kubectl exec POD -- crik check)")
        {
            configOption,
        };
        check.SetAction(parsed => CheckCommand.Execute(parsed.GetValue(configOption)));
        return check;
    }

    private static Command CheckpointCommandLine()
    {
        var exitOption = new Option<bool>("--exit")
        {
            Description = "After the commit, stop the app and let crik exit 0, as after a SIGTERM checkpoint (a planned move)",
        };
        var checkpoint = new Command("checkpoint", "Ask the crik running this container's app for a checkpoint now, and wait until it is committed (e.g. kubectl exec POD -- crik checkpoint)")
        {
            exitOption,
        };
        checkpoint.SetAction(parsed => CheckpointCommand.Execute(parsed.GetValue(exitOption)));
        return checkpoint;
    }

    private static Command ImagesCommandLine()
    {
        Option<string?> configOption = ConfigOption();
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
            configOption, imageDirOption, verifyOption,
        };
        images.SetAction(parsed => ImagesCommand.Execute(parsed.GetValue(configOption), parsed.GetValue(imageDirOption), parsed.GetValue(verifyOption)));
        return images;
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
            return Unhandled(e);
        }
    }
}
