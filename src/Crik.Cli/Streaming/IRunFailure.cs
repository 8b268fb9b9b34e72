namespace Crik.Cli.Streaming;

/// <summary>The first failure of a run that takes images (any image's), which every image taken in it shares.</summary>
internal interface IRunFailure
{
    /// <summary>The first failure so far, or null.</summary>
    string? Failure { get; }

    /// <summary>Records a failure (the first one wins).</summary>
    void Fail(string why);
}
