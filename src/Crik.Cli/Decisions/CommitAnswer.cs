namespace Crik.Cli.Decisions;

/// <summary>What a manifest write, the commit point in object storage, meant.</summary>
internal enum CommitMeaning
{
    Committed,

    /// <summary>The write failed, and the manifest is not there (or not ours): nothing is committed.</summary>
    NotCommitted,

    /// <summary>The store refused the write because a manifest was there, and it is not ours: another crik committed this generation.</summary>
    Superseded,

    /// <summary>
    /// crik cannot tell whether its manifest is there: it is taken as committed, since the app, stopped
    /// for it, must not run on while the next pod may restore it.
    /// </summary>
    AssumedCommitted,
}

/// <summary>What an ambiguous commit means.</summary>
internal static class CommitAnswer
{
    /// <param name="requestFailed">The write's answer was lost or a 5xx (it may have been carried out all the same), rather than a refusal because a manifest was there.</param>
    /// <param name="storedIsOurs">Read back: the store holds exactly the manifest crik wrote (true), something else or nothing (false), or crik cannot tell (null).</param>
    public static CommitMeaning Of(bool requestFailed, bool? storedIsOurs) => storedIsOurs switch
    {
        true => CommitMeaning.Committed,
        false => requestFailed ? CommitMeaning.NotCommitted : CommitMeaning.Superseded,
        null => CommitMeaning.AssumedCommitted,
    };
}
