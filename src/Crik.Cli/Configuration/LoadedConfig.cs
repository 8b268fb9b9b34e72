namespace Crik.Cli.Configuration;

/// <summary>A loaded configuration, where it came from, and the warnings worth showing.</summary>
internal sealed record LoadedConfig(CrikConfig Config, string? Path, IReadOnlyList<string> Warnings);
