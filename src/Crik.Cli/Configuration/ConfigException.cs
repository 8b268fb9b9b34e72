using System.Globalization;
using System.Text;

namespace Crik.Cli.Configuration;

/// <summary>
/// The configuration cannot be used; the message names the file, line and key. Control characters
/// (a newline or NUL inside a quoted value) are shown as \uXXXX, so the message stays one line.
/// </summary>
internal sealed class ConfigException(string message, Exception? inner = null) : Exception(Printable(message), inner)
{
    internal static string Printable(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }
        var printable = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            printable.Append(char.IsControl(c) ? string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}") : c);
        }
        return printable.ToString();
    }
}
