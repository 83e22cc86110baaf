using System.Globalization;
using System.Net;

namespace PrivateVlm.Tests.Security;

/// <summary>An internet socket a process holds, as Linux reports it in /proc/PID/net/{tcp,tcp6,udp,udp6}.</summary>
/// <param name="State">The kernel's TCP state in hex: "0A" is LISTEN, "01" ESTABLISHED; UDP sockets report "07".</param>
internal sealed record InternetSocket(string Protocol, IPEndPoint Local, IPEndPoint Remote, string State, long Inode)
{
    public bool IsListening => Protocol.StartsWith("tcp", StringComparison.Ordinal) && State == "0A";

    public override string ToString() => $"{Protocol} {Local} -> {Remote} state {State} inode {Inode}";
}

/// <summary>A Unix-domain socket a process holds (/proc/PID/net/unix); <see cref="Path"/> empty when unnamed or abstract.</summary>
internal sealed record UnixSocket(long Inode, bool IsListening, string Path);

/// <summary>
/// The sockets one process holds: the inodes behind its /proc/PID/fd links ("socket:[N]"), looked up in the kernel's
/// socket tables. The tables list the whole network namespace; the inodes make it this process's own.
/// </summary>
internal static class ProcessSockets
{
    public static bool Supported => OperatingSystem.IsLinux() && Directory.Exists("/proc/self/fd");

    public static IReadOnlyList<InternetSocket> Internet(int processId)
    {
        var inodes = SocketInodes(processId);
        return new[] { "tcp", "tcp6", "udp", "udp6" }
            .SelectMany(protocol => Table(processId, protocol).Select(fields => (protocol, fields)))
            .Select(row => new InternetSocket(
                row.protocol, Endpoint(row.fields[1]), Endpoint(row.fields[2]), row.fields[3], long.Parse(row.fields[9], CultureInfo.InvariantCulture)))
            .Where(socket => inodes.Contains(socket.Inode))
            .ToList();
    }

    public static IReadOnlyList<UnixSocket> Unix(int processId)
    {
        var inodes = SocketInodes(processId);
        const int acceptConnections = 0x10000; // __SO_ACCEPTCON: the socket listens
        return Table(processId, "unix")
            .Select(fields => new UnixSocket(
                long.Parse(fields[6], CultureInfo.InvariantCulture),
                (int.Parse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture) & acceptConnections) != 0,
                fields.Length > 7 ? fields[7] : ""))
            .Where(socket => inodes.Contains(socket.Inode))
            .ToList();
    }

    public static bool IsLoopback(IPAddress address) =>
        IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    public static bool IsUnspecified(IPEndPoint endpoint) =>
        (endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any)) && endpoint.Port == 0;

    private static HashSet<long> SocketInodes(int processId)
    {
        var inodes = new HashSet<long>();
        foreach (var fd in Directory.EnumerateFiles($"/proc/{processId}/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed while we looked
            }

            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                inodes.Add(long.Parse(target["socket:[".Length..^1], CultureInfo.InvariantCulture));
            }
        }

        return inodes;
    }

    private static IEnumerable<string[]> Table(int processId, string name) =>
        File.ReadAllLines($"/proc/{processId}/net/{name}")
            .Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 6);

    /// <summary>"0100007F:1F90" (IPv4) or 32 hex digits (IPv6): the address as the kernel's 32-bit words in host
    /// order, then the port in hex.</summary>
    private static IPEndPoint Endpoint(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var hex = text[..colon];
        var port = int.Parse(text[(colon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var bytes = Convert.FromHexString(hex);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            if (BitConverter.IsLittleEndian)
            {
                Array.Reverse(bytes, word, 4);
            }
        }

        return new IPEndPoint(new IPAddress(bytes), port);
    }
}
