namespace Crik.Cli.Records;

/// <summary>A CRIU log kept in logs/: its name and when it was written.</summary>
internal sealed record StoredLog(string Name, DateTimeOffset Written);
