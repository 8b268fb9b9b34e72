namespace Crik.Cli.Carrying;

/// <summary>One mount as /proc/PID/mountinfo shows it: enough to tell a volume from the container's own storage.</summary>
/// <param name="MountPoint">Where it is mounted, e.g. "/dev/shm".</param>
/// <param name="Root">Which directory of its file system is mounted there, e.g. a kubelet pod directory for a volume.</param>
/// <param name="FileSystem">The file system type, e.g. "overlay", "tmpfs", "ext4".</param>
internal sealed record Mount(string MountPoint, string Root, string FileSystem, bool ReadOnly);
