// The support drives Linux-only things: namespaces, /proc, signals.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
