
namespace Crik.Cli.Model;

/// <summary>The lock crik holds for the app's life: still held, endangered (its renewals are failing) or lost.</summary>
internal enum HoldState
{
    Held,
    Endangered,
    Lost,
}
