namespace Crik.Cli.Privileges;

/// <summary>The Linux capabilities crik and CRIU care about, by their bit numbers (linux/capability.h).</summary>
internal enum Capability
{
    NetAdmin = 12,
    SysPtrace = 19,
    SysAdmin = 21,
    SysResource = 24,
    Perfmon = 38,
    Bpf = 39,
    CheckpointRestore = 40,
}
