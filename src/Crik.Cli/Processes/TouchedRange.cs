
namespace Crik.Cli.Processes;

/// <summary>
/// Pages the app touched first after a lazy restore, as crik saw it wait for them: a
/// task (its PID in the images) and a range of its memory (addresses as they were at dump time, which
/// a restore keeps). The next lazy restore reads these ahead, before the app asks.
/// </summary>
internal sealed record TouchedRange(int Pid, ulong Address, int Pages);
