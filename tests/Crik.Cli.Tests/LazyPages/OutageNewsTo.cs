using Crik.Cli.LazyPages;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>A test's listener to what a <see cref="StoreOutage"/> tells.</summary>
internal sealed class OutageNewsTo(Action<OutageNews> told) : IOutageListener
{
    public static readonly OutageNewsTo Nobody = new(_ => { });

    public void Told(OutageNews news) => told(news);
}
