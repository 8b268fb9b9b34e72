// The tests drive a Linux-only program: namespaces, /proc and CRIU.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
