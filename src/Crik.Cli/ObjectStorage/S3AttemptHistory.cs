namespace Crik.Cli.ObjectStorage;

/// <summary>How the attempts at one request have failed so far: the last failure, for the error that ends them, and whether any answer was lost.</summary>
internal sealed class S3AttemptHistory
{
    /// <summary>The HTTP status of the last failure, or 0 when no answer came.</summary>
    public int Status { get; private set; }

    public string? Code { get; private set; }

    public string Problem { get; private set; } = "";

    /// <summary>An attempt went unanswered (a dropped connection, a timeout or a 5xx): it may have done what the request asked.</summary>
    public bool AnyUnanswered { get; private set; }

    public void FailedWith(int status, string? code, string problem)
    {
        Status = status;
        Code = code;
        Problem = problem;
        AnyUnanswered |= status >= 500;
    }

    public void GotNoAnswer(string problem)
    {
        Status = 0;
        Code = null;
        Problem = problem;
        AnyUnanswered = true;
    }
}
