namespace Crik.NodeStateServer.Http;

/// <summary>Node names are RFC 1123 DNS subdomains: dot-separated labels of [a-z0-9-], no label starting or ending with '-'.</summary>
internal static class NodeName
{
    public const int MaxLength = 253;

    public static bool IsValid(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxLength)
            return false;
        var labelStart = 0;
        for (var i = 0; i <= name.Length; i++)
        {
            if (i < name.Length && name[i] != '.')
            {
                if (!IsLowerAlphanumeric(name[i]) && name[i] != '-')
                    return false;
                continue;
            }
            // End of a label: it must be non-empty and begin and end with a letter or digit.
            if (i == labelStart || !IsLowerAlphanumeric(name[labelStart]) || !IsLowerAlphanumeric(name[i - 1]))
                return false;
            labelStart = i + 1;
        }
        return true;
    }

    private static bool IsLowerAlphanumeric(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
}
