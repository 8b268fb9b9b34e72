using Crik.Cli.Interop;
using static Crik.Cli.Records.StoreLayout;

namespace Crik.Cli.Records;

/// <summary>Reads a listing of keys as generations, packs, marks and logs: the one parser of <see cref="StoreLayout"/>, for every backend.</summary>
internal static class StoreListingParser
{
    /// <summary>
    /// What the entries name. A volume lists directories (<c>checkpoint-000007</c>, <c>retired/checkpoint-000003</c>),
    /// object storage the objects in them (<c>checkpoint-000007/manifest.json</c>): a generation is either.
    /// <paramref name="ignored"/> gets the entries at the top, in retired/ and in set-aside/ that name a generation but are
    /// not a directory (a link or a file planted there), and finished marks in restores/ that are not a file: never used.
    /// </summary>
    public static StoreListing Parse(IEnumerable<StoredEntry> entries, out List<StoredEntry> ignored)
    {
        var committed = new SortedSet<long>(Comparer<long>.Create((a, b) => b.CompareTo(a)));
        List<long> retired = [], packs = [];
        List<string> setAside = [], taken = [], unfinished = [], marks = [];
        List<StoredLog> logs = [];
        long newest = 0;
        ignored = [];
        foreach (StoredEntry entry in entries)
        {
            string[] parts = entry.Parts;
            switch (parts)
            {
                case [var name] when IsStaging(name) || IsCommitted(name):
                    if (entry.Kind != FileKind.Directory)
                    {
                        ignored.Add(entry);
                    }
                    else if (IsStaging(name))
                    {
                        unfinished.Add(name);
                    }
                    else
                    {
                        committed.Add(ParseGeneration(name));
                    }
                    break;
                case [var name, Manifest.FileName] when IsCommitted(name):
                    committed.Add(ParseGeneration(name));
                    break;
                case [RetiredDir or SetAsideDir, var name] when entry.Kind != FileKind.Directory && name.StartsWith(CommittedPrefix, StringComparison.Ordinal):
                    IgnorePlanted(entry, name, ignored, taken);
                    break;
                case [RetiredDir, var name, ..] when IsCommitted(name) && (parts.Length == 2 || parts is [_, _, Manifest.FileName]):
                    AddOnce(retired, ParseGeneration(name));
                    break;
                case [SetAsideDir, var name, ..]:
                    AddOnce(taken, name);
                    if (parts is [_, _, Manifest.FileName] || (parts.Length == 2 && name.StartsWith(CommittedPrefix, StringComparison.Ordinal)))
                    {
                        AddOnce(setAside, name);
                    }
                    break;
                case [PacksDir, var name] when ParsePackGeneration(name) > 0:
                    packs.Add(ParsePackGeneration(name));
                    break;
                case [RestoresDir, var name] when entry.Kind != FileKind.Regular && name.StartsWith(FinishedMarkPrefix, StringComparison.Ordinal):
                    ignored.Add(entry); // a finished mark is a file crik wrote: a directory or link planted as one would retire checkpoints
                    break;
                case [RestoresDir, var name]:
                    marks.Add(name); // a restore record that is not a file counts as one never written whole
                    break;
                case [LogDir, var name] when entry.Kind is FileKind.Regular or FileKind.SymbolicLink:
                    logs.Add(new StoredLog(name, entry.Modified));
                    break;
            }
            newest = Math.Max(newest, NamedGeneration(parts));
        }
        return new StoreListing([.. committed], retired, setAside, unfinished, packs, marks, newest) { Logs = logs, SetAsideTaken = taken };
    }

    /// <summary>The generation an entry's key names, counted so that a new generation never reuses a number: 0 if none.</summary>
    private static long NamedGeneration(string[] parts) => parts switch
    {
        [PacksDir, var name] => ParsePackGeneration(name),
        [RetiredDir or SetAsideDir, var name, ..] => ParseGeneration(name),
        [var name, ..] when parts.Length <= 2 => ParseGeneration(name),
        _ => 0,
    };

    /// <summary>
    /// A file or link planted in retired/ or set-aside/ at a generation's name: counted, it would make the committed generation
    /// of that number half moved there, never restored and deleted at the next commit. A name in set-aside/ is taken all the same.
    /// </summary>
    private static void IgnorePlanted(StoredEntry entry, string name, List<StoredEntry> ignored, List<string> taken)
    {
        ignored.Add(entry);
        if (entry.Parts[0] == SetAsideDir)
        {
            AddOnce(taken, name);
        }
    }

    private static void AddOnce<T>(List<T> list, T item)
    {
        if (!list.Contains(item))
        {
            list.Add(item);
        }
    }
}
