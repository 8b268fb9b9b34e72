using Crik.Cli.Commands;

return CrikCommandLine.Invoke(args);
