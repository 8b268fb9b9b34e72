namespace Crik.Cli.LazyPages;

/// <summary>Who hears what crik tells of its store while a lazily restored app's memory arrives (the log, an Event, the metrics).</summary>
internal interface IOutageListener
{
    void Told(OutageNews news);
}
