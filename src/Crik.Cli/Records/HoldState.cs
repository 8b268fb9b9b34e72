
namespace Crik.Cli.Records;

/// <summary>
/// The lock crik holds for the app's life: still held, endangered (its renewals are failing, so it is in doubt and the
/// app stays frozen) or lost (another holder has it, or it was in doubt for leaseDoubtLimit: the app is killed).
/// </summary>
internal enum HoldState
{
    Held,
    Endangered,
    Lost,
}
