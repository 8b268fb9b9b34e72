using System.Text;
using System.Text.Unicode;

namespace Crik.Cli.Interop;

/// <summary>
/// The bytes crik's program was started with: its arguments and environment as the kernel keeps them (/proc/self). .NET
/// decodes both as UTF-8, which turns every byte that is not UTF-8 into U+FFFD; an init passes them on as they came. So
/// each argument or variable that crik passes on unchanged goes out as its original bytes.
/// </summary>
internal static class OriginalBytes
{
    private static readonly List<byte[]> StartArguments = Read("/proc/self/cmdline");

    /// <summary>The start environment's entries that are not UTF-8, in order, by the string .NET decoded each to.</summary>
    private static readonly Dictionary<string, List<byte[]>> Undecodable = ByDecodedText(Read("/proc/self/environ").Where(e => !Utf8.IsValid(e)));

    /// <summary>
    /// <paramref name="arguments"/> as bytes: where they are the last of crik's own arguments as .NET decoded them (the app's
    /// command, or all of them), those arguments' original bytes; otherwise UTF-8.
    /// </summary>
    public static List<byte[]> OfArguments(IReadOnlyList<string> arguments)
    {
        int start = StartArguments.Count - arguments.Count;
        bool original = start >= 0 && arguments.Select((a, i) => Decoded(StartArguments[start + i]) == a).All(same => same);
        return original ? StartArguments[start..] : [.. arguments.Select(Encoding.UTF8.GetBytes)];
    }

    /// <summary>The arguments crik's program was started with, as they came.</summary>
    public static List<byte[]> OwnArguments() => [.. StartArguments];

    /// <summary>
    /// Environment entries ("NAME=value") as bytes: one that is a variable of crik's start as .NET decoded it goes out as its
    /// original bytes; the others (set or changed by crik) as UTF-8.
    /// </summary>
    public static List<byte[]> OfEnvironment(IReadOnlyList<string> entries)
    {
        var undecodable = Undecodable.ToDictionary(kv => kv.Key, kv => new Queue<byte[]>(kv.Value), StringComparer.Ordinal);
        var result = new List<byte[]>(entries.Count);
        foreach (string entry in entries)
        {
            result.Add(undecodable.TryGetValue(entry, out Queue<byte[]>? original) && original.TryDequeue(out byte[]? bytes) ? bytes : Encoding.UTF8.GetBytes(entry));
        }
        return result;
    }

    private static string Decoded(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static Dictionary<string, List<byte[]>> ByDecodedText(IEnumerable<byte[]> entries)
    {
        var byText = new Dictionary<string, List<byte[]>>(StringComparer.Ordinal);
        foreach (byte[] entry in entries)
        {
            string text = Decoded(entry);
            (byText.TryGetValue(text, out List<byte[]>? same) ? same : byText[text] = []).Add(entry);
        }
        return byText;
    }

    /// <summary>The NUL-separated entries of a /proc file; none when it cannot be read (no /proc): then everything goes out as UTF-8.</summary>
    private static List<byte[]> Read(string path)
    {
        byte[] all;
        try
        {
            all = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        var entries = new List<byte[]>();
        for (int start = 0; start < all.Length;)
        {
            int end = Array.IndexOf(all, (byte)0, start);
            end = end < 0 ? all.Length : end;
            entries.Add(all[start..end]);
            start = end + 1;
        }
        return entries;
    }
}
