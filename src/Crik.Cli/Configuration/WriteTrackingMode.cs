namespace Crik.Cli.Configuration;

/// <summary>Whether crik tracks which pages the app writes between its checkpoints (trackWrites).</summary>
internal enum WriteTrackingMode
{
    /// <summary>The default: as <see cref="On"/> where crik is PID 1 of its PID namespace (a crik killed there takes the app with it), as <see cref="Off"/> elsewhere.</summary>
    Auto,

    /// <summary>Wherever the kernel and the container allow it (Linux 6.7 on x86-64, userfaultfd and ptrace, no seccomp filter of the app's own); elsewhere, with why logged once, not.</summary>
    On,

    /// <summary>Never: crik runs nothing inside the app, and each checkpoint counts all of its memory as written.</summary>
    Off,
}
