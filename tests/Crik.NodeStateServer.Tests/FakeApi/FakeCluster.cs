using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Crik.NodeStateServer.Tests.FakeApi;

/// <summary>
/// The fake API's data: nodes, a resourceVersion counter, the event history watches replay from, and the open
/// watches. "Compaction" forgets history the way etcd does, so an old resourceVersion gets 410 Gone.
/// </summary>
internal sealed class FakeCluster
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, JsonObject> _nodes = new(StringComparer.Ordinal);
    private readonly List<(long Version, string Line)> _history = [];
    private readonly List<FakeWatch> _watches = [];
    private long _version = 1000;
    private long _compactedThrough;

    public long ResourceVersion { get { lock (_gate) return _version; } }

    public int OpenWatches { get { lock (_gate) return _watches.Count; } }

    public void Add(string name, Action<JsonObject>? customize = null)
    {
        var node = FakeNode.Create(name);
        customize?.Invoke(node);
        lock (_gate)
        {
            if (_nodes.ContainsKey(name))
                throw new InvalidOperationException($"node {name} exists");
            _nodes[name] = node;
            Publish("ADDED", node);
        }
    }

    public void Modify(string name, Action<JsonObject> change)
    {
        lock (_gate)
        {
            var node = _nodes[name];
            change(node);
            Publish("MODIFIED", node);
        }
    }

    public void Delete(string name)
    {
        lock (_gate)
        {
            var node = _nodes[name];
            _nodes.Remove(name);
            Publish("DELETED", node);
        }
    }

    /// <summary>A page of nodes in name order and the version the list describes.</summary>
    public (List<JsonObject> Items, long Version, bool More) Page(int offset, int limit)
    {
        lock (_gate)
        {
            var items = _nodes.Values.Skip(offset).Take(limit).Select(n => n.DeepClone().AsObject()).ToList();
            return (items, _version, offset + items.Count < _nodes.Count);
        }
    }

    /// <summary>Opens a watch from <paramref name="fromVersion"/>; null when that version has been compacted away.</summary>
    public FakeWatch? OpenWatch(long fromVersion, CancellationToken requestAborted)
    {
        lock (_gate)
        {
            if (fromVersion < _compactedThrough)
                return null;
            var watch = new FakeWatch(requestAborted);
            foreach (var (version, line) in _history)
            {
                if (version > fromVersion)
                    watch.Events.Writer.TryWrite(line);
            }
            _watches.Add(watch);
            return watch;
        }
    }

    public void CloseWatch(FakeWatch watch)
    {
        lock (_gate)
            _watches.Remove(watch);
    }

    public long SendBookmark()
    {
        lock (_gate)
        {
            var bookmark = new JsonObject
            {
                ["kind"] = "Node",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject { ["resourceVersion"] = Next() },
            };
            var line = EventLine("BOOKMARK", bookmark);
            foreach (var watch in _watches)
                watch.Events.Writer.TryWrite(line);
            return _version;
        }
    }

    /// <summary>A bookmark at the current version, as the API server sends periodically; the version does not move.</summary>
    public void SendProgressBookmark()
    {
        lock (_gate)
        {
            var line = EventLine("BOOKMARK", new JsonObject
            {
                ["kind"] = "Node",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject { ["resourceVersion"] = _version.ToString(CultureInfo.InvariantCulture) },
            });
            foreach (var watch in _watches)
                watch.Events.Writer.TryWrite(line);
        }
    }

    /// <summary>Sends any text as one line to every open watch (malformed events).</summary>
    public void SendRawLine(string line)
    {
        lock (_gate)
        {
            foreach (var watch in _watches)
                watch.Events.Writer.TryWrite(line);
        }
    }

    /// <summary>Forgets all history (as etcd compaction does) and tells open watches "410 Expired", then ends them.</summary>
    public void ExpireWatches()
    {
        lock (_gate)
        {
            _compactedThrough = _version;
            _history.Clear();
            foreach (var watch in _watches)
            {
                watch.Events.Writer.TryWrite(GoneLine(_version));
                watch.Events.Writer.TryComplete();
            }
        }
    }

    /// <summary>Forgets history without telling anyone: the next watch from an older version gets 410.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _compactedThrough = _version;
            _history.Clear();
        }
    }

    /// <summary>Cuts every open watch connection mid-stream, as a load balancer or API server restart would.</summary>
    public void DropWatches()
    {
        lock (_gate)
        {
            foreach (var watch in _watches)
                watch.Drop();
        }
    }

    public static string GoneLine(long version) => new JsonObject
    {
        ["type"] = "ERROR",
        ["object"] = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["status"] = "Failure",
            ["message"] = $"too old resource version: 1 ({version})",
            ["reason"] = "Expired",
            ["code"] = 410,
        },
    }.ToJsonString();

    private void Publish(string type, JsonObject node)
    {
        node["metadata"]!["resourceVersion"] = Next();
        var line = EventLine(type, node);
        _history.Add((_version, line));
        foreach (var watch in _watches)
            watch.Events.Writer.TryWrite(line);
    }

    private string Next() => (++_version).ToString(CultureInfo.InvariantCulture);

    private static string EventLine(string type, JsonObject node) =>
        new JsonObject { ["type"] = type, ["object"] = node.DeepClone() }.ToJsonString();
}

/// <summary>One open watch: the lines still to send and a way to cut the connection.</summary>
internal sealed class FakeWatch(CancellationToken requestAborted)
{
    private readonly CancellationTokenSource _drop = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);

    public Channel<string> Events { get; } = Channel.CreateUnbounded<string>();

    public CancellationToken Dropped => _drop.Token;

    public void Drop() => _drop.Cancel();
}
