namespace Crik.Cli.Chunks;

/// <summary>Who owns threads that read chunks, told when one dies of an exception nobody expected (outside a chunk's read, which fails the read).</summary>
internal interface IUnexpectedFailures
{
    void FailedUnexpectedly(string thread, Exception e);
}
