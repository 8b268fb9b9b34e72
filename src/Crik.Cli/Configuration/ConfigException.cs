namespace Crik.Cli.Configuration;

/// <summary>The configuration cannot be used; the message names the file, line and key.</summary>
internal sealed class ConfigException(string message, Exception? inner = null) : Exception(message, inner);
