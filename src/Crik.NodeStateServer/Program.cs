using Crik.NodeStateServer;
using Crik.NodeStateServer.Cli;
using Crik.NodeStateServer.Rules;
using Crik.Shared.Kubernetes;
using Crik.Shared.Yaml;

ServerOptions options;
ShutdownRules rules;
ClusterConnection connection;
try
{
    options = OptionsParser.Parse(args);
    if (options.ShowHelp)
    {
        Console.Out.WriteLine(OptionsParser.Usage);
        return ExitCodes.Success;
    }
    rules = options.RulesPath is null ? ShutdownRules.Default : RulesFile.Load(options.RulesPath);
    connection = ClusterConnectionResolver.Resolve(options.KubeconfigPath, Environment.GetEnvironmentVariable);
}
catch (Exception e) when (e is UsageException or YamlFileException or KubeConfigException)
{
    await Console.Error.WriteLineAsync($"node-state-server: {e.Message}").ConfigureAwait(false);
    return ExitCodes.Usage;
}

try
{
    await using var app = ServerHost.Build(options, rules, connection);
    await app.RunAsync().ConfigureAwait(false);
    // Non-zero when the node watcher stopped the application after an unexpected failure.
    return Environment.ExitCode;
}
catch (IOException e)
{
    await Console.Error.WriteLineAsync($"node-state-server: cannot serve on {options.Bind}:{options.Port}: {e.Message}").ConfigureAwait(false);
    return ExitCodes.Failure;
}
