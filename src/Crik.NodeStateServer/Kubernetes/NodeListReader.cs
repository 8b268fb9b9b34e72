using System.Text.Json;

namespace Crik.NodeStateServer.Kubernetes;

/// <summary>Receives one item of a node list: its JSON kind and its raw JSON, valid only during the call.</summary>
internal delegate void NodeListItemHandler(JsonValueKind kind, ReadOnlySpan<byte> json);

/// <summary>
/// Reads one page of a node list (<c>{"metadata":{…},"items":[…]}</c>) from the response stream as it arrives and
/// hands each item to a handler, so that no more than one item (and one read's worth of bytes) is held at a time:
/// no copy of the whole page, no document of it, no list of its items. Fields other than metadata and items are skipped.
/// </summary>
internal sealed class NodeListReader
{
    /// <summary>A Node is tens of KiB; an item a hundred times that size is not a Node.</summary>
    public const int MaxItemBytes = 4 * 1024 * 1024;

    private const int InitialBufferBytes = 32 * 1024;

    private enum Phase
    {
        BeforeList,
        InList,
        InItems,
        Done,
    }

    private readonly Stream _stream;
    private readonly NodeListItemHandler _onItem;
    private byte[] _buffer = new byte[InitialBufferBytes];
    private int _start;
    private int _end;
    private bool _streamEnded;
    private JsonReaderState _state;
    private Phase _phase = Phase.BeforeList;
    private KubeListMeta? _metadata;

    private NodeListReader(Stream stream, NodeListItemHandler onItem)
    {
        _stream = stream;
        _onItem = onItem;
    }

    /// <summary>Reads the page to its end, calling <paramref name="onItem"/> for each item; returns the page's metadata (null if it had none).</summary>
    public static async Task<KubeListMeta?> ReadAsync(Stream stream, NodeListItemHandler onItem, CancellationToken cancellationToken)
    {
        var reader = new NodeListReader(stream, onItem);
        while (!reader.ParseAvailable())
        {
            if (reader._streamEnded)
                throw new JsonException("the node list ended before it was complete");
            await reader.ReadMoreAsync(cancellationToken).ConfigureAwait(false);
        }
        return reader._metadata;
    }

    /// <summary>Parses every complete step in the buffer; true when the list's closing brace was read.</summary>
    private bool ParseAvailable()
    {
        var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _streamEnded, _state);
        while (_phase != Phase.Done)
        {
            // A step that needs bytes not yet read is undone and done again once they are here.
            var before = reader.CurrentState;
            var consumed = reader.BytesConsumed;
            if (!TryStep(ref reader))
            {
                _state = before;
                _start += (int)consumed;
                return false;
            }
        }
        return true;
    }

    private bool TryStep(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
            return false;
        switch (_phase)
        {
            case Phase.BeforeList:
                if (reader.TokenType != JsonTokenType.StartObject)
                    throw new JsonException($"the node list is a {reader.TokenType} instead of an object");
                _phase = Phase.InList;
                return true;
            case Phase.InList:
                return TryListProperty(ref reader);
            default:
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    _phase = Phase.InList;
                    return true;
                }
                if (!TryCompleteValue(ref reader, out var kind, out var item))
                    return false;
                _onItem(kind, item);
                return true;
        }
    }

    /// <summary>One property of the list object, name and value, or the object's end.</summary>
    private bool TryListProperty(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            _phase = Phase.Done;
            return true;
        }
        var isItems = reader.ValueTextEquals("items"u8);
        var isMetadata = !isItems && reader.ValueTextEquals("metadata"u8);
        if (!reader.Read())
            return false;
        if (isItems)
        {
            if (reader.TokenType == JsonTokenType.StartArray)
                _phase = Phase.InItems;
            else if (reader.TokenType != JsonTokenType.Null)
                throw new JsonException($"the node list's items are a {reader.TokenType} instead of an array");
            return true;
        }
        if (!TryCompleteValue(ref reader, out var kind, out var value))
            return false;
        if (isMetadata)
            _metadata = kind == JsonValueKind.Null ? null : JsonSerializer.Deserialize(value, KubeJsonContext.Default.KubeListMeta);
        return true;
    }

    /// <summary>The whole value that starts at the current token, if all of it has been read.</summary>
    private bool TryCompleteValue(ref Utf8JsonReader reader, out JsonValueKind kind, out ReadOnlySpan<byte> value)
    {
        var start = (int)reader.TokenStartIndex;
        kind = KindOf(reader.TokenType);
        if (!reader.TrySkip())
        {
            value = default;
            return false;
        }
        // The reader reads _buffer from _start, which moves only between calls of ParseAvailable.
        value = _buffer.AsSpan(_start + start, (int)reader.BytesConsumed - start);
        return true;
    }

    private static JsonValueKind KindOf(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => JsonValueKind.Object,
        JsonTokenType.StartArray => JsonValueKind.Array,
        JsonTokenType.String => JsonValueKind.String,
        JsonTokenType.Number => JsonValueKind.Number,
        JsonTokenType.True => JsonValueKind.True,
        JsonTokenType.False => JsonValueKind.False,
        JsonTokenType.Null => JsonValueKind.Null,
        _ => throw new JsonException($"unexpected {token} in the node list"),
    };

    /// <summary>Makes room (moving the unread bytes to the front, or growing the buffer) and reads more of the stream.</summary>
    private async Task ReadMoreAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxItemBytes)
                throw new JsonException($"an item of the node list is larger than {MaxItemBytes / (1024 * 1024)} MiB; no Node is that large");
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxItemBytes));
        }
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
            _streamEnded = true;
        _end += read;
    }
}
