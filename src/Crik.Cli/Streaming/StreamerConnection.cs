// Streaming/ owns CRIU's image-streamer protocol: images pass through crik's pipes, never through files CRIU names.
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Streaming;

/// <summary>
/// One CRIU run's connection to crik's image streamer socket (criu --stream). For each image CRIU
/// sends a request naming it (a 32-bit length, then a protobuf message whose field 1 is the file
/// name); on restore crik answers whether the image exists (field 1, a bool); then CRIU sends one
/// end of a pipe with SCM_RIGHTS, through which the image's bytes flow.
/// </summary>
internal sealed class StreamerConnection(Socket socket) : IDisposable
{
    private const int MaxRequestBytes = 4096;

    /// <summary>The next image CRIU asks for, or null when CRIU is done (it closed the connection).</summary>
    public string? ReadRequest()
    {
        Span<byte> header = stackalloc byte[4];
        if (!ReceiveExactly(header, endAllowed: true))
        {
            return null;
        }
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (size is 0 or > MaxRequestBytes)
        {
            throw new IOException($"CRIU's image streamer request is {size} bytes long; expected 1 to {MaxRequestBytes}");
        }
        var body = new byte[size];
        ReceiveExactly(body, endAllowed: false);
        return ParseFileName(body);
    }

    /// <summary>Tells CRIU (restoring) whether the image it asked for exists.</summary>
    public void Reply(bool exists)
    {
        ReadOnlySpan<byte> message = [2, 0, 0, 0, 0x08, exists ? (byte)1 : (byte)0];
        socket.Send(message);
    }

    /// <summary>The pipe end CRIU sends after each request.</summary>
    public SafeFileHandle ReceivePipe() => DescriptorPassing.Receive(socket.Handle);

    /// <summary>
    /// Shuts the connection both ways: a read of the next request waiting here ends, and CRIU's next request fails
    /// with EPIPE. Harmless once the connection is gone.
    /// </summary>
    public void Shut()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed, or CRIU has gone: nothing is left to shut.
        }
    }

    public void Dispose() => socket.Dispose();

    /// <summary>
    /// The file name in an img_streamer_request_entry: field 1, length-delimited. Only a plain name
    /// is accepted (CRIU's images are all in one directory), so nothing can name a path.
    /// </summary>
    internal static string ParseFileName(ReadOnlySpan<byte> body)
    {
        if (body.Length < 2 || body[0] != 0x0a)
        {
            throw new IOException("CRIU's image streamer request does not start with a file name");
        }
        int length = 0, shift = 0, at = 1;
        while (true)
        {
            if (at >= body.Length || shift > 21)
            {
                throw new IOException("CRIU's image streamer request has a malformed length");
            }
            byte b = body[at++];
            length |= (b & 0x7f) << shift;
            shift += 7;
            if (b < 0x80)
            {
                break;
            }
        }
        if (length == 0 || at + length != body.Length)
        {
            throw new IOException("CRIU's image streamer request has a malformed file name");
        }
        string name = Encoding.UTF8.GetString(body.Slice(at, length));
        if (name is "." or ".." || name.Contains('/') || name.Contains('\0'))
        {
            throw new IOException($"CRIU asked the image streamer for \"{name}\", which is not a plain file name");
        }
        return name;
    }

    private bool ReceiveExactly(Span<byte> buffer, bool endAllowed)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = socket.Receive(buffer[total..]);
            if (read == 0)
            {
                if (total == 0 && endAllowed)
                {
                    return false;
                }
                throw new IOException("CRIU closed the image streamer connection in the middle of a request");
            }
            total += read;
        }
        return true;
    }
}
