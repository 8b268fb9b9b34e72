using Crik.Cli.Cli;

return CrikCommandLine.Invoke(args);
