using Crik.Cli.Cli;

DiagnosticsPort.RemoveSocket();
return CrikCommandLine.Invoke(args);
